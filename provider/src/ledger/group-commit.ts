/**
 * Group commit: the write transactions a process has queued while another held the ledger's write
 * lock run together, one after the other, inside ONE database transaction under one lock
 * acquisition, and commit together. Each still sees everything the earlier ones wrote (they run in
 * order, in the same transaction), so the result is exactly that of running them one at a time;
 * what is saved is a BEGIN, a lock hand-off and a COMMIT per transaction. Across processes the
 * hand-off (waking another process's connection) is the dearest step on a busy machine.
 *
 * A transaction that fails is undone alone (the backend rolls back to a savepoint taken before
 * it) and its caller gets its error; the others go on. When the database transaction itself fails
 * (connection lost, COMMIT refused), every transaction in it gets that error.
 *
 * Example: 10 creates queued while process B holds the lock. B commits; this process takes the
 * lock once and runs the 10 reservations in order (the 4th is over quota: rolled back to its
 * savepoint, its caller gets quota_exceeded), then one COMMIT settles the other 9.
 */
import type { Mutex } from "./mutex";
import type { SqlDriver } from "./sql-tx";

/** One queued write transaction. */
export interface Job<T = unknown> {
  readonly run: (db: SqlDriver) => Promise<T>;
  /** Absolute ms: wait for the lock at most until then. */
  readonly deadline?: number;
  /** When the caller asked, and where its deadline came from (for busy messages). */
  readonly started: number;
  readonly source: string;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** The most transactions one database transaction takes: bounds how long one process keeps the lock. */
export const MAX_GROUP = 32;

export class GroupCommit {
  private readonly queue: (Job & { timer?: NodeJS.Timeout })[] = [];
  private pumping = false;

  constructor(
    /** Shared with the backend's other writers (raw transactions, close): one group at a time. */
    private readonly writes: Mutex,
    /** Runs one group in one database transaction and settles every job of it. */
    private readonly runGroup: (jobs: readonly Job[]) => Promise<void>,
    /** The error of a job whose deadline passed while it was still queued. */
    private readonly expired: (job: Job) => unknown,
  ) {}

  submit<T>(run: Job<T>["run"], deadline: number | undefined, source: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job<T> & { timer?: NodeJS.Timeout } = { run, deadline, started: Date.now(), source, resolve, reject };
      if (deadline !== undefined) {
        job.timer = setTimeout(() => {
          const i = this.queue.indexOf(job as Job & { timer?: NodeJS.Timeout });
          if (i < 0) return; // already running: the lock wait itself is bounded
          this.queue.splice(i, 1);
          reject(this.expired(job as Job));
        }, Math.max(0, deadline - Date.now()));
      }
      this.queue.push(job as Job & { timer?: NodeJS.Timeout });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length) {
        const release = (await this.writes.acquire())!;
        try {
          const group = this.queue.splice(0, MAX_GROUP);
          for (const j of group) clearTimeout(j.timer);
          if (group.length) await this.runGroup(group);
        } finally {
          release();
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}
