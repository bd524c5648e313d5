/**
 * A FIFO async mutex: one in-process holder at a time. A waiter may give up at a deadline (the
 * ledger's write lock is waited for only until the operation's deadline), and leaves the queue
 * without disturbing the others.
 */
export class Mutex {
  private held = false;
  private readonly waiters: (() => void)[] = [];

  /**
   * Resolves with the release function once it is this caller's turn, or with undefined when
   * `deadline` (ms since the epoch) passes first.
   */
  acquire(deadline?: number): Promise<(() => void) | undefined> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const turn = () => {
        if (timer) clearTimeout(timer);
        resolve(this.releaser());
      };
      this.waiters.push(turn);
      if (deadline !== undefined) {
        timer = setTimeout(() => {
          const i = this.waiters.indexOf(turn);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(undefined);
        }, Math.max(0, deadline - Date.now()));
      }
    });
  }

  /** Runs `fn` when it is its turn (no deadline). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = (await this.acquire())!;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Hands the lock to the next waiter (or frees it); calling it twice is harmless. */
  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.held = false;
    };
  }
}
