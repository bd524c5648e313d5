/**
 * ValidateResourceConfig / ValidateDataResourceConfig / ValidateProviderConfig: ajv (through
 * schema/validate.ts `problemsOf`) on the known part of the configuration. Unknown values are
 * skipped: they are checked again when known, at apply.
 */
import { problemsOf } from "../catalog/validate";
import type { SchemaKind } from "../catalog/catalog";
import type { ObjectSpec } from "./schema";
import { isUnknown, type TfValue } from "./codec/types";
import { error, parsePath, type TfDiagnostic } from "./diagnostics";
import { parseGoDuration, TIMEOUT_OPERATIONS_LIST } from "./timeouts";
import { foldForValidation } from "./write-only";

interface Known {
  readonly input: Record<string, unknown>;
  /** Dotted paths of unknown values. */
  readonly unknown: string[];
}

/** The known, non-null part of a config object, plus where the unknowns were. */
export function knownPart(value: TfValue, skip: ReadonlySet<string> = new Set()): Known {
  const unknown: string[] = [];
  const walk = (v: TfValue, path: string): unknown => {
    if (isUnknown(v)) {
      unknown.push(path);
      return undefined;
    }
    if (v === null) return undefined;
    if (Array.isArray(v)) return v.map((e, i) => walk(e, path ? `${path}.${i}` : String(i))).filter((e) => e !== undefined);
    if (typeof v === "object") {
      const out: [string, unknown][] = [];
      for (const [k, e] of Object.entries(v)) {
        if (!path && skip.has(k)) continue;
        const w = walk(e, path ? `${path}.${k}` : k);
        if (w !== undefined) out.push([k, w]);
      }
      return Object.fromEntries(out); // defined, not assigned: a "__proto__" key reaches validation as a key
    }
    return v;
  };
  const input = (walk(value, "") ?? {}) as Record<string, unknown>;
  return { input, unknown };
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`);

/** Diagnostics for a configuration of `kind`, with attribute paths. */
export function validateConfig(kind: SchemaKind, spec: ObjectSpec, config: TfValue): TfDiagnostic[] {
  if (config === null || isUnknown(config)) return [];
  const skip = new Set([...spec.blocks.map((b) => b.name), ...spec.attributes.filter((a) => a.computed && !a.optional).map((a) => a.name)]);
  const known = knownPart(config, skip);
  const { unknown } = known;
  // Write-only values are validated as the attribute they supply (same limits), under their own name.
  const { input, diagnostics, rename } = foldForValidation(kind, known.input, unknown);
  const problems = problemsOf(kind, input)
    .map((p) => (p.path ? { ...p, path: rename(p.path) } : p))
    .filter((p) => !unknown.some((u) => under(p.path ?? "", u)));
  const out = [...diagnostics, ...problems.map((p) => error("Invalid attribute value", p.path ? `${p.path} ${p.message}` : p.message, parsePath(p.path)))];
  if (spec.blocks.some((b) => b.name === "timeouts")) out.push(...validateTimeouts(config));
  return out;
}

function validateTimeouts(config: TfValue): TfDiagnostic[] {
  if (!config || typeof config !== "object" || Array.isArray(config) || isUnknown(config)) return [];
  const block = (config as Record<string, TfValue>).timeouts;
  if (!block || typeof block !== "object" || Array.isArray(block) || isUnknown(block)) return [];
  const out: TfDiagnostic[] = [];
  for (const op of TIMEOUT_OPERATIONS_LIST) {
    const v = (block as Record<string, TfValue>)[op];
    if (typeof v !== "string") continue;
    const ms = parseGoDuration(v);
    if (ms === undefined || ms < 0) {
      out.push(error("Invalid timeout", `timeouts.${op}: ${JSON.stringify(v)} is not a Go duration such as "30s", "10m" or "1h30m"`, ["timeouts", op]));
    }
  }
  return out;
}
