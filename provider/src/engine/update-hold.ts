/**
 * What an in-flight update holds. Between reserving an update and the controller's answer, the
 * row holds the LARGER of the old and new charge and allocations, per dimension: whichever way the
 * update settles (commit to new, roll back to old), it only shrinks what is held, so neither
 * outcome can push a tenant or a server past a limit that others reserved against meanwhile.
 *
 * Example: a VM resized 6 -> 2 cores holds 6 while the controller works; another VM can not take
 * the 4 cores until the resize commits. Grown 2 -> 6, it holds 6 (checked before reserving).
 */
import { DIMENSIONS, type Resources } from "../domain/resources";
import type { Allocation, LedgerRecord, PendingUpdate } from "../ledger/records";
import type { Usage } from "../domain/quota";

/** Replica numbers of hold rows (old parts kept while an update is in flight). */
const HOLD_BASE = 1_000_000;

const maxRes = (a: Resources, b: Resources): Resources => Object.fromEntries(DIMENSIONS.map((d) => [d, Math.max(a[d], b[d])])) as Resources;

export function heldCharge(a: Usage, b: Usage): Usage {
  return {
    resources: maxRes(a.resources, b.resources),
    virtualMachines: Math.max(a.virtualMachines, b.virtualMachines),
    vclusters: Math.max(a.vclusters, b.vclusters),
    blockPools: Math.max(a.blockPools, b.blockPools),
  };
}

/**
 * The allocation rows held during the update: each new replica at the max of old and new on its
 * server; old GPUs of another model, and old replicas the update drops, as extra hold rows.
 */
export function heldAllocations(old: readonly Allocation[], next: readonly Allocation[]): Allocation[] {
  const byReplica = new Map(old.map((a) => [a.replica, a]));
  const out: Allocation[] = [];
  const covered = new Set<number>();
  for (const n of next) {
    const o = byReplica.get(n.replica);
    if (!o || o.server !== n.server) {
      out.push(n);
      continue;
    }
    covered.add(o.replica);
    const sameModel = o.gpuModel === n.gpuModel || o.resources.gpus === 0 || n.resources.gpus === 0;
    const gpus = sameModel ? Math.max(o.resources.gpus, n.resources.gpus) : n.resources.gpus;
    out.push({ ...n, resources: { ...maxRes(o.resources, n.resources), gpus }, gpuModel: n.resources.gpus > 0 ? n.gpuModel : o.gpuModel });
    if (!sameModel) out.push({ ...o, replica: HOLD_BASE + o.replica, resources: { cpu: 0, memory: 0, storage: 0, gpus: o.resources.gpus } });
  }
  for (const o of old) if (!covered.has(o.replica)) out.push({ ...o, replica: HOLD_BASE + o.replica });
  return out;
}

/**
 * The row an `updating` row settles to, and its allocations: the new ones (commit) or the old
 * ones (rollback). Undefined when the row carries no pending update.
 */
export function settleUpdate(rec: LedgerRecord, outcome: "commit" | "rollback"): { record: LedgerRecord; allocations: readonly Allocation[] } | undefined {
  const prev = rec.prev;
  if (!prev) return undefined;
  if (outcome === "commit") {
    return prev.next ? { record: { ...rec, charge: prev.next.charge, prev: null }, allocations: prev.next.allocations } : undefined;
  }
  const { allocations, next: _next, ...old } = prev;
  return { record: { ...(old as LedgerRecord), prev: null }, allocations: allocations ?? [] };
}

export type { PendingUpdate };
