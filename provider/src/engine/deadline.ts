import { OtterscaleError } from "../domain/errors";

/**
 * Races `work` against an absolute deadline (ms since epoch) and an abort signal (Terraform's
 * StopProvider, Ctrl-C); neither given = wait. The caller settles what it reserved.
 */
export async function withDeadline<T>(work: Promise<T>, deadline: number | undefined, what: string, signal?: AbortSignal): Promise<T> {
  if (deadline === undefined && !signal) return work;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (deadline !== undefined) {
      timer = setTimeout(
        () => reject(new OtterscaleError("timeout", `${what}: timed out waiting for the backend controller; the row stays held until the backend call ends, then it is settled against what the backend runs`)),
        Math.max(0, deadline - Date.now()),
      );
    }
    if (signal) {
      onAbort = () => reject(new OtterscaleError("timeout", `${what}: stopped on request; the row stays held until the backend call ends, then it is settled against what the backend runs`));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
