/**
 * otterscale_server: a bare-metal machine in the inventory. Charges nothing; its guards keep what
 * is allocated on it (capacity, GPU models, group membership) and refuse a delete while it holds
 * workloads. State: allocated_* from the ledger's load on it.
 */
import { checkServerDelete, checkServerUpdate } from "../engine/inventory-guards";
import { dimensionAttrs } from "../engine/records";
import { NO_LOAD } from "../domain/inventory";
import { bmcAddressProblems } from "../domain/bmc";
import type { ServerArgs } from "../catalog/types.gen";
import type { Problem } from "../domain/errors";
import type { KindRules } from "./types";

export const server: KindRules = {
  kind: "server",
  class: "inventory",
  tier: 0,
  noun: "server",
  inventorySlot: "servers",
  machine: true,
  semantics(spec) {
    const out: Problem[] = [...bmcAddressProblems((spec as unknown as ServerArgs).bmc)];
    const s = spec as { cpu_cores: number; reserved_cpu_cores?: number; memory_gib: number; reserved_memory_gib?: number };
    if ((s.reserved_cpu_cores ?? 0) > s.cpu_cores) out.push({ path: "reserved_cpu_cores", message: `must not exceed cpu_cores (${s.cpu_cores})` });
    if ((s.reserved_memory_gib ?? 0) > s.memory_gib) out.push({ path: "reserved_memory_gib", message: `must not exceed memory_gib (${s.memory_gib})` });
    return out;
  },
  checkUpdate: (ctx, key, spec) => checkServerUpdate(ctx, key, spec as unknown as ServerArgs),
  checkDelete: (ctx, rec) => checkServerDelete(ctx, rec.key),
  async project({ tx, rec, base, status }) {
    const load = (await tx.serverLoad([rec.key])).get(rec.key) ?? NO_LOAD;
    return { ...base, status, ...dimensionAttrs("allocated_", load.allocated) };
  },
};
