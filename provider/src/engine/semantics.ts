/** Rules JSON Schema cannot say well (cross-attribute), with the attribute path. */
import type { Problem } from "../domain/errors";
import type { ResourceKind } from "../schema/catalog";
import type { ServerArgs } from "../schema/types.gen";
import { bmcAddressProblems } from "../model/bmc";

export function semanticProblems(kind: ResourceKind, spec: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  if (kind === "block_pool" && spec.erasure_coded !== undefined && spec.replicas !== undefined) {
    out.push({ path: "replicas", message: "set either replicas or erasure_coded, not both" });
  }
  if (kind === "virtual_machine") {
    const p = (spec.placement ?? {}) as Record<string, unknown>;
    if (p.spread_domain !== undefined && p.anti_affinity_group === undefined) {
      out.push({ path: "placement.spread_domain", message: "only applies together with placement.anti_affinity_group" });
    }
  }
  if (kind === "server") {
    out.push(...bmcAddressProblems((spec as unknown as ServerArgs).bmc));
    const s = spec as { cpu_cores: number; reserved_cpu_cores?: number; memory_gib: number; reserved_memory_gib?: number };
    if ((s.reserved_cpu_cores ?? 0) > s.cpu_cores) out.push({ path: "reserved_cpu_cores", message: `must not exceed cpu_cores (${s.cpu_cores})` });
    if ((s.reserved_memory_gib ?? 0) > s.memory_gib) out.push({ path: "reserved_memory_gib", message: `must not exceed memory_gib (${s.memory_gib})` });
  }
  return out;
}
