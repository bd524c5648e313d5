/**
 * Engines for the data-source reads of a program: opened on first use, shared by the reads that
 * run at the same time, and closed as soon as none runs. A program has no end to close things at
 * (Pulumi waits for its event loop to drain), and an engine left open on a PostgreSQL ledger keeps
 * it alive until the pool's idle timeout: the program would exit ~10 s after its last result.
 */
import type { Engine } from "../../provider/src/engine/engine";

interface Lease {
  readonly engine: Promise<Engine>;
  users: number;
}

const leases = new Map<string, Lease>();

/**
 * Runs `use` with the engine of `key` (opened with `open` when no read holds one), closing it when
 * the last read that holds it ends.
 */
export async function withLeasedEngine<T>(key: string, open: () => Promise<Engine>, use: (engine: Engine) => Promise<T>): Promise<T> {
  let lease = leases.get(key);
  if (!lease) leases.set(key, (lease = { engine: open(), users: 0 }));
  lease.users++;
  try {
    return await use(await lease.engine);
  } finally {
    if (--lease.users === 0) {
      leases.delete(key);
      await lease.engine.then((e) => e.close()).catch(() => undefined);
    }
  }
}

/** Engines open for reads right now (tests). */
export const leasedEngines = (): number => leases.size;
