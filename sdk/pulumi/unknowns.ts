/**
 * Values a preview does not know yet (computed by other resources), and how a check still judges
 * everything the known values decide.
 *
 * The unknown leaves are cut out, keeping every known value around them (`placement: {server:
 * <unknown>, spreadDomain: "planet"}` still has its bad `spreadDomain`), and their paths are kept
 * to tell which problems are about them. A `name` that is not known yet does not stop the quota and
 * placement dry run: only the identity depends on it, so the dry run uses a placeholder name no
 * object can have, and messages say "(name not known yet)" instead.
 */
import { randomBytes } from "node:crypto";
import type { Problem } from "../../provider/src/domain/errors";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { identityFields } from "../../provider/src/catalog/identity";

type Props = Record<string, unknown>;

/** How the Pulumi engine marks a value not known yet (preview), in the dynamic provider protocol. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** Inputs with the unknown leaves cut out, and the dotted paths of what was cut. */
export interface KnownPart {
  readonly known: Props;
  readonly unknown: readonly string[];
}

/**
 * Cuts the unknown values out of an attribute object. A list with an unknown element is unknown as
 * a whole (its other elements would change index); objects and maps keep their known entries.
 *
 * Example: `{name: "a", placement: {server: U, spread_domain: "rack"}, servers: ["s1", U]}` ->
 * known `{name: "a", placement: {spread_domain: "rack"}}`, unknown `["placement.server", "servers"]`.
 */
export function splitUnknowns(attrs: Props): KnownPart {
  const unknown: string[] = [];
  const walk = (o: Props, prefix: string): Props =>
    Object.fromEntries(
      Object.entries(o).flatMap(([k, v]) => {
        const path = prefix ? `${prefix}.${k}` : k;
        if (v === UNKNOWN || (Array.isArray(v) && containsUnknown(v))) {
          unknown.push(path);
          return [];
        }
        return [[k, v && typeof v === "object" && !Array.isArray(v) ? walk(v as Props, path) : v]];
      }),
    );
  const known = walk(attrs, "");
  return { known, unknown };
}

/** True when `path` is about a value not known yet: the value itself or a part of it. */
export const coveredBy = (unknown: readonly string[], path: string | undefined): boolean => !!path && unknown.some((u) => path === u || path.startsWith(`${u}.`));

/**
 * The problems to report now: those about known values. A problem about an unknown value, or one
 * whose message names one (a rule between two attributes, one of them unknown), is judged at apply.
 */
export function knownProblems(problems: readonly Problem[], unknown: readonly string[]): Problem[] {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  const names = (message: string, u: string) => new RegExp(`(^|[^\\w.])${escape(u)}($|[^\\w])`).test(message);
  return problems.filter((p) => !coveredBy(unknown, p.path) && !unknown.some((u) => names(p.message, u)));
}

/** Kinds whose identity (the schema's x-import-id) includes `name` (all but the quota, identified by tenant and group). */
const NAMED = (kind: ResourceKind) => identityFields(kind).includes("name");

/** Placeholder names: DNS-1123 labels with a random part and a counter, never a real object's name. */
const RUN = randomBytes(4).toString("hex");
let counter = 0;

/** A change's arguments with a placeholder `name` when the real one is not known yet. */
export interface Placeheld {
  readonly known: Props;
  readonly unknown: readonly string[];
  /** The placeholder used for `name`, if any (to put "(name not known yet)" back into messages). */
  readonly placeholder?: string;
}

/**
 * Substitutes a placeholder for an unknown `name`, so tenant, group and sizes that are known still
 * get their quota and placement dry run. Each call makes a new name: each check is its own object.
 */
export function withPlaceholderName(kind: ResourceKind, part: KnownPart): Placeheld {
  if (!NAMED(kind) || !part.unknown.includes("name")) return part;
  const placeholder = `unknown-name-${RUN}-${++counter}`;
  return { known: { ...part.known, name: placeholder }, unknown: part.unknown.filter((u) => u !== "name"), placeholder };
}

/** A message with the placeholder name put back as what it is. */
export function withoutPlaceholder(message: string, placeholder: string | undefined): string {
  return placeholder ? message.split(placeholder).join("(name not known yet)") : message;
}

/** True when a default filled in a value that is only unknown: a dry run would judge a guess. */
export function guessed(spec: Props, unknown: readonly string[]): boolean {
  return unknown.some((u) => u.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Props)[k] : undefined), spec) !== undefined);
}
