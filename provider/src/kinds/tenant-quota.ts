/**
 * otterscale_tenant_quota: a tenant's caps in one group. Charges nothing; a create needs its
 * group, an update may not go below what is in use, a delete waits for the tenant's workloads.
 * State: used_* from the ledger. Its manifest caps every GPU model by device name.
 */
import { checkQuotaCreate, checkQuotaDelete, checkQuotaUpdate } from "../engine/quota-guards";
import { dimensionAttrs } from "../engine/records";
import type { TenantQuotaArgs } from "../catalog/types.gen";
import type { KindRules } from "./types";

const args = (spec: Record<string, unknown>) => spec as unknown as TenantQuotaArgs;

export const tenantQuota: KindRules = {
  kind: "tenant_quota",
  class: "quota",
  tier: 2,
  noun: "tenant quota",
  groupAttribute: "group",
  checkCreate: (ctx, spec) => checkQuotaCreate(ctx, args(spec)),
  checkUpdate: (ctx, _key, spec) => checkQuotaUpdate(ctx, args(spec)),
  checkDelete: (ctx, rec) => checkQuotaDelete(ctx, rec.tenant!, rec.grp!),
  async project({ tx, rec, base }) {
    const u = await tx.usage(rec.tenant!, rec.grp!);
    return {
      ...base,
      ...dimensionAttrs("used_", u.resources),
      used_virtual_machines: u.virtualMachines,
      used_vclusters: u.vclusters,
      used_block_pools: u.blockPools,
    };
  },
  // Every model its group's servers hold and every configured one: it caps each by name.
  gpuModels: (spec, inv, devices) => [...inv.members(String(spec.group)).flatMap((m) => (inv.servers.get(m)?.gpus ?? []).map((g) => g.model)), ...Object.keys(devices)],
};
