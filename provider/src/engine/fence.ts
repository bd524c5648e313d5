/**
 * Fencing of backend writes, after OpenStack Placement's rule: every writer names the generation
 * it read, a write against a newer generation is refused, and the refused writer retries a
 * bounded number of times.
 *
 * A controller call (create, re-create, update, delete, reconcile's removal of an orphan) runs
 * only while its object's ledger row is held by the calling operation: the row carries the
 * operation's `opId`, and its `generation` is the fence token. Every transition of a held row
 * (commit, release, rollback...) first checks that the row still carries both; a lease renewal
 * is the only write that keeps the generation. A writer that finds its fence gone undoes its
 * backend write before it reports the error (see settle.ts).
 */
import { OtterscaleError } from "../domain/errors";
import { FenceLost, type Ledger, type LedgerRecord, type LedgerTx } from "../ledger/records";
import type { ResourceKind } from "../catalog/catalog";

export interface Fence {
  readonly kind: ResourceKind;
  readonly key: string;
  readonly opId: string;
  readonly generation: number;
}

export const fenceOf = (r: LedgerRecord): Fence => ({ kind: r.kind, key: r.key, opId: r.opId!, generation: r.generation });

/** The row, when `fence` still holds it. */
export async function heldRow(tx: LedgerTx, fence: Fence): Promise<LedgerRecord | undefined> {
  const cur = await tx.get(fence.kind, fence.key);
  return cur && cur.opId === fence.opId && cur.generation === fence.generation ? cur : undefined;
}

/**
 * The row this operation reserved, as it reserved it, for a transition right after the
 * controller answered. While the fence holds, the row is exactly `reserved` (every write but a
 * lease renewal bumps the generation, and the transition rewrites the lease anyway), so a backend
 * that checks the fence in its writes need not read it first (`LedgerTx.assumeHeld`: one round
 * trip less under the write lock). A lost fence throws `FenceLost`; nothing is committed.
 */
export async function reservedRow(tx: LedgerTx, reserved: LedgerRecord): Promise<LedgerRecord> {
  if (tx.assumeHeld) return tx.assumeHeld(reserved);
  const cur = await heldRow(tx, fenceOf(reserved));
  if (!cur) throw new FenceLost(reserved.kind, reserved.key);
  return cur;
}

/** What a row held by another operation tells the caller (retryable: code `conflict`). */
export function busyRow(r: LedgerRecord): OtterscaleError {
  const until = r.leaseExpires ? new Date(r.leaseExpires).toISOString() : "unknown";
  return new OtterscaleError(
    "conflict",
    `${r.kind} ${r.key} is being changed by another operation (${r.state}, lease until ${until}); retry in a moment. If that run crashed, its reservation is settled once the lease expires (or run \`otterscale reconcile --apply\` after that)`,
    [],
    { retryable: true },
  );
}

/** How often and how long a refused writer retries. */
export const RETRY = { attempts: 12, firstMs: 10, maxMs: 500 } as const;

/**
 * Runs `attempt` until it does not fail with a retryable `conflict`, at most RETRY.attempts
 * times and never past `deadline`, with jittered exponential backoff. The last error is thrown.
 */
export async function withBoundedRetry<T>(attempt: () => Promise<T>, deadline?: number): Promise<T> {
  let wait: number = RETRY.firstMs;
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      // A row held by another operation, or a referenced object a parallel step may be creating.
      const retryable = OtterscaleError.isInstance(e) && e.retryable;
      const pause = Math.round(wait / 2 + Math.random() * wait);
      if (!retryable || i >= RETRY.attempts || (deadline !== undefined && Date.now() + pause > deadline)) throw e;
      await new Promise((r) => setTimeout(r, pause));
      wait = Math.min(RETRY.maxMs, wait * 2);
    }
  }
}

/**
 * Renews the fence's lease every third of `leaseMs` until `work` settles (not merely until the
 * caller stops waiting: a timed-out controller call that still runs keeps its row held). A
 * renewal that finds the fence gone stops renewing; the transition after the work notices.
 */
export function keepLease(ledger: Ledger, fence: Fence, leaseMs: number, work: Promise<unknown>): void {
  const every = Math.max(50, Math.floor(leaseMs / 3));
  const timer = setInterval(() => {
    ledger
      .transaction(async (tx) => {
        const cur = await heldRow(tx, fence);
        const until = Date.now() + leaseMs;
        if (!cur || !(await tx.renewLease(fence.kind, fence.key, fence.opId, until))) return false;
        await tx.appendAudit({ at: Date.now(), op: "renew-lease", kind: cur.kind, key: cur.key, tenant: cur.tenant, grp: cur.grp, delta: { lease_until: until }, opId: fence.opId });
        return true;
      })
      .then((held) => {
        if (!held) clearInterval(timer);
      })
      .catch(() => undefined); // a missed renewal only shortens the lease
  }, every);
  timer.unref();
  void work.then(
    () => clearInterval(timer),
    () => clearInterval(timer),
  );
}
