/** Rules JSON Schema cannot say well (cross-attribute), with the attribute path: each kind's own (kinds/). */
import type { Problem } from "../domain/errors";
import { rulesOf } from "../kinds";
import type { ResourceKind } from "../catalog/catalog";

export function semanticProblems(kind: ResourceKind, spec: Record<string, unknown>): Problem[] {
  return rulesOf(kind).semantics?.(spec) ?? [];
}
