import { OtterscaleError } from "../domain/errors";

/** Races `work` against an absolute deadline (ms since epoch); no deadline = wait. */
export async function withDeadline<T>(work: Promise<T>, deadline: number | undefined, what: string): Promise<T> {
  if (deadline === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OtterscaleError("timeout", `${what}: timed out waiting for the backend controller; the reservation was released`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
