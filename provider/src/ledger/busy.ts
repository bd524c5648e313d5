/**
 * Waiting for the ledger's write lock without blocking the event loop, and the one error that
 * says the wait ran out. SQLite's own busy timeout sleeps inside the (synchronous) driver call, so
 * a process waiting for another process's writer would freeze every timer, gRPC keep-alive and
 * health check; instead the lock is tried without waiting and retried on timers with jittered
 * exponential backoff until the deadline.
 *
 * @example
 *   // 5, 10, 20, 40, 80, 100, 100... ms (each times a random factor in [0.5, 1)), until the deadline
 *   const got = await retryUntil(() => tryLock(), Date.now() + 300);
 */
import { OtterscaleError } from "../domain/errors";

/** How long a write waits for the lock when the caller gives no deadline. */
export const DEFAULT_LOCK_WAIT_MS = 30_000;

const FIRST_DELAY_MS = 5;
const MAX_DELAY_MS = 100;

/** Pause before retry number `attempt` (0-based): doubling from 5 ms to 100 ms, jittered so waiters do not retry in lockstep. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 10));
  return Math.max(1, Math.round(base * (0.5 + random() / 2)));
}

/** Calls `tryOnce` until it returns true (resolves true) or `deadline` passes (resolves false). Never sleeps past the deadline. */
export async function retryUntil(tryOnce: () => boolean | Promise<boolean>, deadline: number): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    if (await tryOnce()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(left, backoffMs(attempt))));
  }
}

/**
 * The ledger's write lock stayed taken past the deadline. `label` is the redacted URL; `source`
 * says where the deadline came from. Retryable: the transaction never began.
 */
export function busyError(label: string, waitedMs: number | undefined, source: string): OtterscaleError {
  const waited = waitedMs === undefined ? "waited" : `waited ${Math.round(waitedMs)} ms`;
  return new OtterscaleError(
    "busy",
    `ledger busy: ${label} is locked by another writer; ${waited} (${source}); nothing was written; retry`,
    [],
    { ledger: label, phase: "lock", ...(waitedMs === undefined ? {} : { waitedMs: Math.round(waitedMs) }) },
  );
}

/** Where a transaction's deadline came from, for the busy message. */
export const deadlineSource = (given: boolean, fallback: string): string => (given ? "deadline from timeouts" : fallback);
