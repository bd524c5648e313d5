/**
 * Input validation of one kind: the schema (ajv), then rules JSON Schema cannot say well
 * (cross-attribute, each kind's own in kinds/), with the attribute path.
 */
import { invalid, type Problem } from "../domain/errors";
import { rulesOf } from "../kinds";
import type { ResourceKind } from "../catalog/catalog";
import { validateInput } from "../catalog/validate";
import { keyOf, splitSecrets } from "./records";
import type { Validated } from "./reserve";

export function semanticProblems(kind: ResourceKind, spec: Record<string, unknown>): Problem[] {
  return rulesOf(kind).semantics?.(spec) ?? [];
}

/** Validated spec (defaults applied), its secret-free copy and identity. Throws invalid_input. */
export function validateSpec(kind: ResourceKind, args: unknown): Validated {
  const spec = validateInput<Record<string, unknown>>(kind, args, `otterscale_${kind}`);
  const extra = semanticProblems(kind, spec);
  if (extra.length) throw invalid(extra, `otterscale_${kind}`);
  const { clean, digests } = splitSecrets(kind, spec);
  return { spec, clean, digests, key: keyOf(kind, spec) };
}
