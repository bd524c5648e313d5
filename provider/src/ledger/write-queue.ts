/**
 * The SQL driver a backend hands SqlTx, and the queue of a transaction's writes. An embedded
 * backend (SQLite) runs each statement at once: it has no round trips to save. A network backend
 * (PostgreSQL) offers `batch`: then writes are queued and sent together (one statement, one round
 * trip) before the transaction's next read and at its end, the last ones with COMMIT.
 */
import type { Row } from "./sql";

export interface SqlDriver {
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
  /** Optional: runs several writes (each on a different table) as one statement; each one's changed-row count. */
  batch?(statements: readonly Statement[]): Promise<number[]>;
  /**
   * Optional, with `batch`: sends the statements and COMMIT together (one round trip) and ends
   * the transaction. The server checks each statement's `expect`ed row count, so a write that
   * does not match rolls the transaction back instead of committing (`UnexpectedRowCount`).
   */
  commitWith?(statements: readonly Statement[]): Promise<number[]>;
}

export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The number of rows the statement must change (an optimistic write's check), or return when `read`. */
  readonly expect?: number;
  /** A SELECT checking what the batch's writes rely on (it sees the rows as they were before them). */
  readonly read?: boolean;
}

/** A `commitWith` statement changed another number of rows than it expected: the transaction was rolled back. */
export class UnexpectedRowCount extends Error {
  constructor(readonly index: number) {
    super(`statement ${index} of the batch changed an unexpected number of rows`);
  }
}

/** A transaction rolled back only because another of its commit group failed (pg-lane.ts): nothing of it was committed. */
export class RolledBackWithOthers extends Error {
  constructor() {
    super("rolled back with another transaction of its commit group");
  }
}

/** A queued write: its table (two writes of one table never share a batch) and what to do with its row count. */
interface Queued extends Statement {
  readonly table: string;
  /** Gets the row count; throws when it is wrong (the write's own error). */
  readonly done: (changes: number) => void;
}

export class WriteQueue {
  private readonly queued: Queued[] = [];

  constructor(private readonly db: SqlDriver) {}

  /** True when writes are queued rather than run at once. */
  get batching(): boolean {
    return this.db.batch !== undefined;
  }

  /**
   * A write, run now (embedded driver) or queued (a queued write of the same table is sent first).
   * A `done` that can throw must come with `expect`: the last writes may go out with COMMIT, and
   * only `expect` is checked by the server before it commits (a `done` runs after).
   */
  async write(table: string, sql: string, params: readonly unknown[], done: (changes: number) => void, expect?: number): Promise<void> {
    if (!this.db.batch) {
      done((await this.db.run(sql, params)).changes);
      return;
    }
    if (this.queued.some((w) => w.table === table)) await this.flush();
    this.queued.push({ table, sql, params, done, ...(expect === undefined ? {} : { expect }) });
  }

  /**
   * Sends the queued writes (one round trip); a write that changed the wrong number of rows
   * throws here. `commit`: nothing follows and the caller allows the driver to commit with them.
   */
  async flush(commit = false): Promise<void> {
    if (!this.queued.length) return;
    const q = this.queued.splice(0);
    let counts: number[];
    if (commit && this.db.commitWith) {
      try {
        counts = await this.db.commitWith(q);
      } catch (e) {
        if (e instanceof UnexpectedRowCount) q[e.index].done(Number.NaN); // throws the write's own error
        throw e;
      }
    } else counts = q.length === 1 ? [(await this.db.run(q[0].sql, q[0].params)).changes] : await this.db.batch!(q);
    q.forEach((w, i) => w.done(counts[i]));
  }
}
