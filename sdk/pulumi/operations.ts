/**
 * Deadlines and cancellation of the Pulumi layer's engine operations (create, update, delete), as
 * Terraform's StopProvider has them: each operation gets its request's timeout and the process's
 * stop signal; a stop (the host's Cancel RPC, SIGINT/SIGTERM, Pulumi gone) aborts what runs, each
 * operation settles what it reserved and fails, and later ones are refused before they reserve
 * anything. Process-wide: every copy of this module shares one state.
 */
import { OtterscaleError } from "../../provider/src/domain/errors";
import type { OperationOptions } from "../../provider/src/api";
import { requestTimeoutMs } from "./host-hooks";

interface State {
  readonly stop: AbortController;
  reason?: string;
  readonly running: Set<Promise<unknown>>;
}

const STATE = Symbol.for("otterscale-iac.pulumi.operations");

function state(): State {
  const g = globalThis as unknown as Record<symbol, State | undefined>;
  return (g[STATE] ??= { stop: new AbortController(), running: new Set() });
}

/**
 * Runs one engine mutation with the timeout of the request that carried `props` and the stop
 * signal, counted as in flight until it settles. After a stop it is refused with nothing reserved.
 *
 * Example: `customTimeouts: { create: "2s" }` -> `{ timeoutMs: 2000, signal }`; the engine gives
 * up after 2 s and releases the reservation.
 */
export function runOperation<T>(what: string, props: object | undefined, work: (opts: OperationOptions) => Promise<T>): Promise<T> {
  const s = state();
  if (s.stop.signal.aborted) {
    return Promise.reject(new OtterscaleError("timeout", `${what}: not started, because ${s.reason ?? "the update was stopped"}; nothing was changed`));
  }
  const timeoutMs = requestTimeoutMs(props);
  const running = work({ ...(timeoutMs ? { timeoutMs } : {}), signal: s.stop.signal });
  s.running.add(running);
  const done = () => s.running.delete(running);
  running.then(done, done);
  return running;
}

/** Stops every operation in flight, and refuses those that would start later. */
export function stopOperations(reason: string): void {
  const s = state();
  if (s.stop.signal.aborted) return;
  s.reason = reason;
  s.stop.abort(new Error(reason));
}

/** Resolves once no operation is in flight (each has settled its reservation), or after `ms`. */
export async function operationsSettled(ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  const s = state();
  while (s.running.size) {
    const left = until - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...s.running]), new Promise((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
  }
  return true;
}

/** Operations in flight now (tests, diagnostics). */
export const operationsInFlight = (): number => state().running.size;
