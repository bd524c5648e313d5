/**
 * Who owns a non-active ledger row, and when it counts as abandoned. Liveness is judged by the
 * row's lease ONLY: the owner renews it while its work runs (see fence.ts), and it expires by
 * time. Host names and PIDs say nothing across containers, PID namespaces or machines (two
 * host-network containers share a hostname, and their PIDs collide), so they are never probed.
 *
 * The one thing a process may know without the lease is its OWN operations: a row owned by an
 * operation of this process that has already finished (it failed after reserving, e.g. when the
 * ledger connection dropped before its commit) is abandoned at once, so a retry in the same
 * process can settle it instead of waiting for the lease.
 */
import { randomUUID } from "node:crypto";
import type { LedgerRecord } from "../ledger/records";

/** Op ids this process issued, and those of them still running. */
const issued = new Set<string>();
const running = new Set<string>();

/** A fresh owner token (random: unique across processes, hosts and PID namespaces). */
export function newOpId(): string {
  const id = `op-${randomUUID()}`;
  issued.add(id);
  running.add(id);
  return id;
}

/** Marks an operation of this process as finished (successfully or not). */
export function opFinished(opId: string): void {
  running.delete(opId);
}

/** Non-active and abandoned: its lease has expired, or it is this process's own finished operation. */
export function isStale(r: LedgerRecord, now = Date.now()): boolean {
  if (r.state === "active") return false;
  if ((r.leaseExpires ?? 0) < now) return true;
  return r.opId !== null && issued.has(r.opId) && !running.has(r.opId);
}

/** Runs `fn` as one registered operation: its op id counts as running until `fn` and `lingering()` end. */
export async function asOperation<T>(fn: (opId: string) => Promise<T>, lingering: (opId: string) => Promise<void> | undefined): Promise<T> {
  const opId = newOpId();
  try {
    return await fn(opId);
  } finally {
    const late = lingering(opId);
    if (late) void late.finally(() => opFinished(opId));
    else opFinished(opId);
  }
}
