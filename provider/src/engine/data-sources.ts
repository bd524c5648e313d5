/** The data sources: read-only views of the ledger (tenant usage, group capacity). */
import { OtterscaleError } from "../domain/errors";
import type { LedgerTx } from "../ledger/records";
import type { DataSourceKind } from "../schema/catalog";
import type { TenantQuotaArgs } from "../schema/types.gen";
import type { State } from "./contract";
import type { Inventory } from "./inventory";
import { groupTotals, stateOf } from "./state";

export async function readDataSource(tx: LedgerTx, inv: Inventory, kind: DataSourceKind, input: Record<string, string>): Promise<State> {
  if (kind === "group_capacity") {
    if (!inv.groups.has(input.group)) throw new OtterscaleError("not_found", `group ${input.group} does not exist`, [{ path: "group", message: "no such group" }]);
    return { id: input.group, group: input.group, ...(await groupTotals(tx, inv, inv.members(input.group))) };
  }
  const quota = await tx.get("tenant_quota", `${input.tenant}/${input.group}`);
  if (!quota) throw new OtterscaleError("not_found", `tenant ${input.tenant} has no quota in group ${input.group}`, [{ path: "tenant", message: "no quota" }]);
  const q = quota.spec as unknown as TenantQuotaArgs;
  const full = await stateOf(tx, inv, quota);
  const pick = (k: string) => (full[k] === undefined ? null : full[k]);
  return {
    id: quota.key,
    tenant: q.tenant,
    group: q.group,
    cpu_cores: q.cpu_cores ?? null,
    memory_gib: q.memory_gib ?? null,
    storage_gib: q.storage_gib ?? null,
    gpus: q.gpus ?? 0,
    max_virtual_machines: q.max_virtual_machines ?? null,
    max_vclusters: q.max_vclusters ?? null,
    max_block_pools: q.max_block_pools ?? null,
    ...Object.fromEntries(Object.keys(full).filter((k) => k.startsWith("used_")).map((k) => [k, pick(k)])),
  };
}
