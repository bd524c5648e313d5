/**
 * Waiting on remote controllers, shared by the kubernetes and maas adapters: bounded retries of
 * transient failures (5xx, connection errors, optimistic-concurrency conflicts) and polling until
 * a condition holds, both with jittered exponential backoff and both bounded by the operation's
 * deadline. Which errors are transient is the caller's decision (a pure predicate), so this module
 * knows nothing about HTTP.
 */
import { OtterscaleError } from "../domain/errors";

export interface Backoff {
  /** Total tries, the first one included (>= 1). */
  readonly attempts: number;
  /** Upper bound of the first delay (ms); doubles per attempt. */
  readonly baseMs: number;
  /** No delay exceeds this (ms). */
  readonly capMs: number;
}

/** 5 tries within ~3 s worst case: long enough for an API server restart blip, short for a dead one. */
export const DEFAULT_RETRY: Backoff = { attempts: 5, baseMs: 100, capMs: 1_500 };

/** Readiness polling: quick first looks (objects are often ready at once), then every few seconds. */
export const DEFAULT_POLL: Backoff = { attempts: Number.POSITIVE_INFINITY, baseMs: 50, capMs: 2_000 };

/** Used when the caller gave no deadline: nobody should wait forever for a backend. */
export const DEFAULT_WAIT_MS = 10 * 60_000;

/**
 * The deadline an adapter should wait against: a little before the caller's, so that the
 * adapter's own timeout (which says what it waited for and what it last saw) reaches the user
 * rather than the engine's generic one, and cleanup starts while the caller still listens.
 *
 * Example: 2 s left -> stop 200 ms early; 500 ms left -> 50 ms early; no deadline -> none.
 */
export function waitDeadline(deadline: number | undefined, now: number = Date.now()): number | undefined {
  if (deadline === undefined) return undefined;
  const left = deadline - now;
  return deadline - Math.max(0, Math.min(200, Math.floor(left / 10)));
}

/**
 * Delay before retry `n` (0-based): "equal jitter", uniform in [d/2, d) with d = min(cap, base * 2^n).
 * Half is fixed so retries never bunch at 0; half is random so concurrent clients spread out.
 *
 * Example: base 100, cap 1500, random 0.5 -> n=0: 75, n=1: 150, n=2: 300, n=3: 600, n=4: 1125, n=5: 1125.
 */
export function backoffDelay(n: number, b: Backoff, random: () => number = Math.random): number {
  const d = Math.min(b.capMs, b.baseMs * 2 ** n);
  return Math.round(d / 2 + (d / 2) * random());
}

/** Resolves after `ms`, or rejects with a timeout error when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(cancelled());
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function cancelled(): OtterscaleError {
  return new OtterscaleError("timeout", "the operation was cancelled");
}

export interface WaitOptions {
  /** Absolute deadline (ms since epoch). */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly backoff?: Backoff;
  /** Injectable for tests. */
  readonly random?: () => number;
}

/**
 * Runs `op`, retrying while `transient(error)` says so, at most `backoff.attempts` times and never
 * sleeping past the deadline. The last error is rethrown as is (the caller translates it).
 *
 * Example: `retrying(() => api.patch(obj), isTransient, { deadline })` survives one 503 or one 409.
 */
export async function retrying<T>(op: (attempt: number) => Promise<T>, transient: (e: unknown) => boolean, opts: WaitOptions = {}): Promise<T> {
  const b = opts.backoff ?? DEFAULT_RETRY;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw cancelled();
    try {
      return await op(attempt);
    } catch (e) {
      if (attempt + 1 >= b.attempts || !transient(e)) throw e;
      const delay = backoffDelay(attempt, b, opts.random);
      if (opts.deadline !== undefined && Date.now() + delay >= opts.deadline) throw e;
      await sleep(delay, opts.signal);
    }
  }
}

/** One look at the thing being waited for. */
export type Probe<T> = { readonly done: true; readonly value: T } | { readonly done: false; readonly detail: string };

/**
 * Probes until `done`, sleeping with backoff between looks. At the deadline (default: now +
 * DEFAULT_WAIT_MS) it throws OtterscaleError("timeout") saying what it waited for and the last
 * detail seen (e.g. `last status: Provisioning`). Probe errors propagate (the probe retries
 * transient ones itself).
 */
export async function pollUntil<T>(what: string, probe: () => Promise<Probe<T>>, opts: WaitOptions = {}): Promise<T> {
  const b = opts.backoff ?? DEFAULT_POLL;
  const deadline = opts.deadline ?? Date.now() + DEFAULT_WAIT_MS;
  let detail = "not observed yet";
  for (let n = 0; ; n++) {
    if (opts.signal?.aborted) throw cancelled();
    const r = await probe();
    if (r.done) return r.value;
    detail = r.detail;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new OtterscaleError("timeout", `timed out waiting for ${what} (${detail})`, [], { waitedFor: what, last: detail });
    }
    await sleep(Math.min(left, backoffDelay(n, b, opts.random)), opts.signal);
  }
}
