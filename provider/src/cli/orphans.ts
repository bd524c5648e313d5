/**
 * Orphaned allocations: active workload rows whose object the controller no longer has (a
 * manifest deleted by hand, a VM removed on the platform). They hold quota and server capacity
 * for nothing. Releasing one goes through `engine.read`, which already releases a workload whose
 * object is gone (audit op `drift-release`), so the CLI adds no ledger writes of its own.
 */
import type { Engine } from "../engine/engine";
import { WORKLOAD_KINDS, type WorkloadKind } from "../schema/catalog";

export interface Orphan {
  readonly kind: WorkloadKind;
  readonly key: string;
  readonly tenant: string;
  readonly group: string;
  readonly servers: readonly string[];
}

/**
 * Active workloads the controller does not have. `progress(done, total)` is called as the
 * controller is asked (one `get` per workload), for long estates.
 */
export async function findOrphans(engine: Engine, progress: (done: number, total: number) => void = () => undefined): Promise<Orphan[]> {
  const rows = await engine.ledger.read((tx) => tx.list({ kinds: [...WORKLOAD_KINDS], states: ["active"] }));
  const out: Orphan[] = [];
  let done = 0;
  for (const r of rows) {
    const observed = await engine.controllers.forKind(r.kind).get(r.key);
    if (!observed) {
      out.push({ kind: r.kind as WorkloadKind, key: r.key, tenant: r.tenant!, group: r.grp!, servers: (r.computed.servers as string[] | undefined) ?? [] });
    }
    progress(++done, rows.length);
  }
  return out;
}

/** Releases an orphan (if it is still one); true when its row is gone afterwards. */
export async function releaseOrphan(engine: Engine, o: Orphan): Promise<boolean> {
  await engine.read(o.kind, o.key);
  return (await engine.ledger.read((tx) => tx.get(o.kind, o.key))) === undefined;
}
