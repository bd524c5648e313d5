/**
 * Write-only arguments (Terraform >= 1.11), as hashicorp's own providers have them (aws
 * `password_wo` + `password_wo_version`): `user_data_wo` supplies `user_data`, `bmc.password_wo`
 * supplies `bmc.password`. Terraform sends the value in the configuration only; it is never in the
 * plan or the state (the provider plans and stores null), and Terraform does not compare it, so
 * changing the `*_version` trigger is what plans an update. The engine never sees these names:
 * at apply the value is handed to it as the sibling attribute, which the ledger keeps only as a
 * digest and the controllers write to the Secret, as for the sensitive attribute.
 *
 * The markers live in schema/ (`x-write-only`, `x-version-of`); see schema/catalog.ts.
 */
import { writeOnlyArguments, type SchemaKind, type WriteOnlyArgument } from "../catalog/catalog";
import { memoPerKey } from "../lib/memo";
import { isUnknown, type TfObject, type TfValue } from "./codec/types";
import { error, type TfDiagnostic } from "./diagnostics";

type Kind = SchemaKind;
type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => !!v && typeof v === "object" && !Array.isArray(v) && !isUnknown(v);
const dotted = (w: WriteOnlyArgument, name: string) => (w.parent ? `${w.parent}.${name}` : name);
const steps = (w: WriteOnlyArgument, name: string) => [...(w.parent ? w.parent.split(".") : []), name];

function parentOf(root: unknown, w: WriteOnlyArgument): Plain | undefined {
  let v: unknown = root;
  for (const k of w.parent ? w.parent.split(".") : []) v = isPlain(v) ? v[k] : undefined;
  return isPlain(v) ? v : undefined;
}

const isSet = (v: unknown) => v !== undefined && v !== null;

/**
 * The known part of a configuration as the engine's validation sees it: each write-only value
 * moved to the attribute it supplies, the Terraform-only names removed. `rename` maps a problem
 * path of a supplied attribute back to the write-only name the user wrote.
 * Setting both forms, or a version without its value, is an error naming both.
 * Folds `input` in place and returns it: it is the caller's own copy (validate-config.ts
 * `knownPart` builds one per call), which a clone here copied again on every validation.
 */
export function foldForValidation(kind: Kind, input: Plain, unknown: readonly string[] = []): { input: Plain; diagnostics: TfDiagnostic[]; rename: (path: string) => string } {
  const diagnostics: TfDiagnostic[] = [];
  const renames = new Map<string, string>();
  for (const w of writeOnlyArguments(kind)) {
    const parent = parentOf(input, w);
    if (!parent) continue;
    const value = parent[w.name];
    // An unknown value (an ephemeral variable during validate) is set, just not known yet.
    const given = isSet(value) || unknown.includes(dotted(w, w.name));
    if (given && (isSet(parent[w.target]) || unknown.includes(dotted(w, w.target)))) {
      diagnostics.push(error("Conflicting attributes", `${dotted(w, w.target)} and ${dotted(w, w.name)} cannot both be set: use ${dotted(w, w.name)} (Terraform >= 1.11, never stored in state) or ${dotted(w, w.target)}.`, steps(w, w.name)));
    } else if (isSet(value)) {
      parent[w.target] = value;
      renames.set(dotted(w, w.target), dotted(w, w.name));
    }
    if (w.version && isSet(parent[w.version]) && !given) {
      diagnostics.push(error("Missing write-only value", `${dotted(w, w.version)} is set but ${dotted(w, w.name)} is not: the version only triggers sending ${dotted(w, w.name)}.`, steps(w, w.version)));
    }
    delete parent[w.name];
    if (w.version) delete parent[w.version];
  }
  const rename = (path: string) => {
    for (const [from, to] of renames) if (path === from || path.startsWith(`${from}.`)) return to + path.slice(from.length);
    return path;
  };
  return { input, diagnostics, rename };
}

/** Paths (dotted) of every Terraform-only attribute of a kind: write-only values and versions. */
export function terraformOnlyPaths(kind: Kind): string[] {
  return writeOnlyArguments(kind).flatMap((w) => [dotted(w, w.name), ...(w.version ? [dotted(w, w.version)] : [])]);
}

/** Version-trigger paths: only Terraform knows them, so a refresh keeps the prior value. Per kind, from the schema: made once. */
export const versionPaths = memoPerKey((kind: Kind): readonly string[] => Object.freeze(writeOnlyArguments(kind).flatMap((w) => (w.version ? [dotted(w, w.version)] : []))));

/** Removes Terraform-only attributes from engine arguments (in place). */
export function dropTerraformOnly(kind: Kind, args: Plain): Plain {
  for (const w of writeOnlyArguments(kind)) {
    const parent = parentOf(args, w);
    if (!parent) continue;
    delete parent[w.name];
    if (w.version) delete parent[w.version];
  }
  return args;
}

/**
 * Engine arguments for an apply: each write-only value in the configuration supplies its target.
 * The value is sent on every apply that creates or updates the object (the engine's arguments are
 * the whole desired object, and a missing `user_data` would mean "remove it").
 */
export function withWriteOnlyValues(kind: Kind, args: Plain, config: TfValue): Plain {
  for (const w of writeOnlyArguments(kind)) {
    const value = parentOf(config, w)?.[w.name];
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") continue;
    const parent = parentOf(args, w);
    if (parent) parent[w.target] = value;
  }
  return args;
}

/**
 * Terraform before 1.11 does not know write-only attributes and would store the value in state:
 * refuse it there, pointing at the sensitive attribute that works everywhere.
 */
export function capabilityDiagnostics(kind: Kind, config: TfValue, clientCapabilities: { write_only_attributes_allowed?: boolean } | undefined): TfDiagnostic[] {
  if (clientCapabilities?.write_only_attributes_allowed) return [];
  return writeOnlyArguments(kind)
    .filter((w) => isSet(parentOf(config as TfObject, w)?.[w.name]))
    .map((w) => error("Write-only attribute not supported", `${dotted(w, w.name)} needs Terraform 1.11 or later (this Terraform would store it in state); use ${dotted(w, w.target)} (sensitive) instead.`, steps(w, w.name)));
}
