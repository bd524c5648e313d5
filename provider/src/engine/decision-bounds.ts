/**
 * What a workload's placement decision depends on, as bounds (LedgerTx.dependsOn): the tenant's
 * usage may grow up to the quota's headroom for the charge, and each chosen server's load up to
 * its capacity minus what the decision puts there. Derived from the same rules the decision ran
 * (quotaHeadroom is checkQuota's rule, loadHeadroom fitsAll's), so a bound that still holds under
 * the ledger's lock means the locked decision would have admitted the same reservation.
 */
import { quotaHeadroom, type QuotaLimits, type Usage } from "../domain/quota";
import { add, ZERO, type Resources } from "../domain/resources";
import type { Allocation, DecisionBounds, ServerBound } from "../ledger/records";
import { loadHeadroom, type Candidate } from "../placement";

export function boundsOf(
  tenant: string,
  grp: string,
  limits: QuotaLimits,
  charge: Usage,
  candidates: ReadonlyMap<string, Candidate>,
  allocations: readonly Allocation[],
): DecisionBounds {
  // Replicas sharing a server (a failure domain wider than one server) add up on it.
  const onServer = new Map<string, { demand: Resources; gpus: Record<string, number> }>();
  for (const a of allocations) {
    const s = onServer.get(a.server) ?? { demand: ZERO, gpus: {} };
    s.demand = add(s.demand, a.resources);
    if (a.gpuModel) s.gpus[a.gpuModel] = (s.gpus[a.gpuModel] ?? 0) + a.resources.gpus;
    onServer.set(a.server, s);
  }
  const servers: ServerBound[] = [...onServer].map(([server, s]) => {
    const c = candidates.get(server)!;
    const gpuModels: Record<string, number> = {};
    for (const [model, count] of Object.entries(s.gpus)) gpuModels[model] = (c.gpuModels[model]?.capacity ?? 0) - count;
    return { server, atMost: loadHeadroom(c.capacity, s.demand), gpuModels };
  });
  return { usage: { tenant, grp, atMost: quotaHeadroom(limits, charge) }, servers };
}
