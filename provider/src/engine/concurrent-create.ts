/**
 * Creates that run side by side on a ledger that allows it (PostgreSQL), after OpenStack
 * Placement: decide on what is committed, write the reservation, then re-check the decision under
 * row locks before committing.
 *
 * A concurrent create decides (quota, placement) exactly as a lone one does, from what other
 * transactions have committed. It then writes its row and allocations and calls `guard`, which
 * locks the tenant's quota row and the rows of the servers it chose and reads usage and load as
 * committed after the locks. Every create that raises the same tenant's usage or the same
 * server's load takes the same locks before it commits, so at most one of them is between its
 * check and its commit at any time: the re-check sees every earlier admission, and a quota for N
 * admits exactly N. When the re-check fails (a peer took the last room meanwhile), nothing is
 * committed and the create is decided again alone (an exclusive transaction), which also gives
 * the caller the exact refusal.
 *
 * What runs alone regardless: every create with an anti-affinity group (its rule reads the
 * allocations of other workloads), every update, delete and inventory or quota change.
 * Settlements never raise a charge and run side by side without locks.
 *
 * Example: quota 50 cores, 49 used, two 1-core creates A and B at once. Both decide "fits" on 49,
 * write, and call guard; A gets the quota row's lock first, reads 50 used (its own row
 * included), 50 <= 50: commits. B's guard then reads 51: B rolls back and retries alone, where
 * the quota check refuses it with quota_exceeded.
 */
import { OtterscaleError } from "../domain/errors";
import { add, sub, type Resources } from "../domain/resources";
import type { Allocation, Ledger, LedgerRecord, ServerLoad } from "../ledger/records";
import { candidateOf, NO_LOAD } from "../model/inventory";
import { checkInPlace } from "../placement";
import { addUsage, checkQuota } from "../quota/quota";
import type { ResourceKind } from "../schema/catalog";
import type { TenantQuotaArgs } from "../schema/types.gen";
import { isWorkload, limitsOf, type DecisionContext } from "./decide";

/** True when this create may run alongside others on `ledger`. */
export function mayCreateConcurrently(ledger: Ledger, kind: ResourceKind, spec: Record<string, unknown>): boolean {
  if (!ledger.concurrentWrites || !isWorkload(kind)) return false;
  const placement = spec.placement as { anti_affinity_group?: string } | undefined;
  return !placement?.anti_affinity_group;
}

/** Thrown (and caught by the engine) when a concurrent create's decision no longer holds. */
const STALE = "stale concurrent decision";

export const isStaleDecision = (e: unknown): boolean => OtterscaleError.isInstance(e) && e.details.staleDecision === true;

function stale(why: string): OtterscaleError {
  return new OtterscaleError("conflict", `${STALE}: ${why}`, [], { staleDecision: true });
}

/** What one workload holds on each server (its replicas there summed), with the GPU model. */
function perServer(allocations: readonly Allocation[]): Map<string, { resources: Resources; gpuModel: string | null }> {
  const out = new Map<string, { resources: Resources; gpuModel: string | null }>();
  for (const a of allocations) {
    const cur = out.get(a.server);
    const resources = cur ? add(cur.resources, a.resources) : a.resources;
    out.set(a.server, { resources, gpuModel: cur?.gpuModel ?? a.gpuModel });
  }
  return out;
}

function without(load: ServerLoad, own: { resources: Resources; gpuModel: string | null }): ServerLoad {
  const gpuModels = { ...load.gpuModels };
  if (own.gpuModel && own.resources.gpus > 0) gpuModels[own.gpuModel] = (gpuModels[own.gpuModel] ?? 0) - own.resources.gpus;
  return { allocated: sub(load.allocated, own.resources), gpuModels };
}

/**
 * Re-checks the quota and the server capacity a just-written create `record` relies on, under
 * `guard`'s locks, in the create's transaction. Throws a stale-decision error when they no
 * longer hold (the engine then decides again alone).
 */
export async function confirmCreate(ctx: DecisionContext, record: LedgerRecord): Promise<void> {
  if (record.tenant === null || record.grp === null) return;
  const own = perServer(await ctx.tx.allocations({ consumer: { kind: record.kind, key: record.key } }));
  const servers = [...own.keys()].sort();
  const g = await ctx.tx.guard(record.tenant, record.grp, servers);
  if (!g.quota) throw stale(`the quota of tenant ${record.tenant} in group ${record.grp} is gone`);
  // g.usage includes this record: the others' usage is g.usage - charge.
  if (!checkQuota(limitsOf(g.quota as unknown as TenantQuotaArgs), addUsage(g.usage, record.charge, -1), record.charge).ok) throw stale("the quota filled up meanwhile");
  for (const server of servers) {
    const spec = ctx.inv.servers.get(server);
    if (!spec) throw stale(`server ${server} is gone`);
    const mine = own.get(server)!;
    if (checkInPlace(candidateOf(spec, without(g.load.get(server) ?? NO_LOAD, mine)), mine.resources, mine.gpuModel ?? undefined)) {
      throw stale(`server ${server} filled up meanwhile`);
    }
  }
}
