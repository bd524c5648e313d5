/**
 * The RPCs being answered right now. Shutdown waits for them: grpc-js cannot say when the handlers
 * of calls whose client is gone have finished, and an engine operation that is still running when
 * the ledger closes would leave its reservation behind.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  get size(): number {
    return this.running.size;
  }

  /** Counts `work` as running until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = () => this.running.delete(work);
    work.then(done, done);
    return work;
  }

  /** Resolves once nothing is running, including calls that start while it waits. */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}
