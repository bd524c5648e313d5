/**
 * Guards of tenant quotas: a quota needs its group, may not drop below what its tenant uses, and
 * may not go while workloads count against it; plus the overcommit warning (quotas of a group
 * adding up to more than its capacity). Pure decisions over the DecisionContext.
 */
import { OtterscaleError } from "../domain/errors";
import { DIMENSIONS, DIMENSION_ATTRIBUTE, fromMilli, ZERO, type Resources } from "../domain/resources";
import { capacityOf } from "../placement";
import { checkLimitsCoverUse, NO_USAGE } from "../domain/quota";
import { WORKLOAD_KINDS } from "../catalog/catalog";
import type { TenantQuotaArgs } from "../catalog/types.gen";
import type { DecisionContext } from "./decision-context";
import { groupOf, isLeaving, limitsOf } from "./decide";

export async function checkQuotaCreate(ctx: DecisionContext, spec: TenantQuotaArgs): Promise<void> {
  groupOf(ctx, spec.group);
}

export async function checkQuotaUpdate(ctx: DecisionContext, spec: TenantQuotaArgs): Promise<void> {
  const used = await ctx.tx.usage(spec.tenant, spec.group);
  const below = checkLimitsCoverUse(limitsOf(spec), used);
  if (below.length) {
    throw new OtterscaleError(
      "in_use",
      `cannot lower the quota of tenant ${spec.tenant} in group ${spec.group} below current use: ${below
        .map((v) => `${v.dimension} limit ${v.limit} < used ${v.used}`)
        .join("; ")}`,
      below.map((v) => ({ path: v.dimension.startsWith("max_") ? v.dimension : quotaAttr(v.dimension), message: `limit ${v.limit} is below the ${v.used} in use` })),
    );
  }
}

const quotaAttr = (dim: string) => ({ virtual_machines: "max_virtual_machines", vclusters: "max_vclusters", block_pools: "max_block_pools" })[dim] ?? dim;

export async function checkQuotaDelete(ctx: DecisionContext, tenant: string, group: string): Promise<void> {
  const held = (await ctx.tx.list({ kinds: WORKLOAD_KINDS, tenant, grp: group })).filter((r) => !isLeaving(ctx, r.kind, r.key));
  if (held.length) {
    const names = held.map((r) => `${r.kind} ${r.key}`).join(", ");
    throw new OtterscaleError("in_use", `cannot delete the quota of tenant ${tenant} in group ${group}: the tenant still holds ${names}`, [], { consumers: names });
  }
}

/** Warnings for a group whose quotas add up to more than its capacity (overcommitted caps are legal). */
export async function quotaOvercommit(ctx: DecisionContext, group: string): Promise<string[]> {
  const quotas = await ctx.tx.list({ kinds: ["tenant_quota"], grp: group });
  if (!quotas.length) return [];
  const members = ctx.inv.members(group);
  let capacity: Resources = ZERO;
  for (const m of members) {
    const c = capacityOf(ctx.inv.servers.get(m)!).capacity;
    capacity = { cpu: capacity.cpu + c.cpu, memory: capacity.memory + c.memory, storage: capacity.storage + c.storage, gpus: capacity.gpus + c.gpus };
  }
  const sums: Resources = { ...ZERO };
  for (const q of quotas) {
    const l = limitsOf(q.spec as unknown as TenantQuotaArgs).resources;
    for (const d of DIMENSIONS) sums[d] += l[d] ?? 0;
  }
  return DIMENSIONS.filter((d) => sums[d] > capacity[d]).map(
    (d) =>
      `quotas in group ${group} add up to ${fromMilli(sums[d])} ${DIMENSION_ATTRIBUTE[d]}, more than its capacity of ${fromMilli(capacity[d])} (${quotas.length} quota(s))`,
  );
}

export { NO_USAGE };
