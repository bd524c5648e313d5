/**
 * Shared ledger on PostgreSQL (`pg`), for teams applying from several machines. Same schema and
 * the same `SqlTx` as SQLite; only connecting, locking and begin/commit differ.
 *
 * Concurrency. Every write transaction starts with `pg_advisory_xact_lock(ns, WRITE)`: one
 * writer at a time per ledger database, across all processes and machines, released by COMMIT
 * or ROLLBACK (or by the server when the client dies). That is exactly SQLite's BEGIN IMMEDIATE.
 * Why not row locks or SERIALIZABLE: a reservation reads *aggregates* (a tenant's usage in a
 * group, every candidate server's load, anti-affinity peers) and inserts new rows; row locks
 * cannot lock rows that do not exist yet (two creates would both see the old sum), and
 * SERIALIZABLE would abort most of the concurrent reservations of a busy tenant (they all read
 * the same sums), turning contention into retries whose closures must be re-run. One lock is
 * simple, provably correct (after taking it, every READ COMMITTED statement sees every committed
 * write, and nobody else can write), and keeps the audit sequence in commit order (readers that
 * page through it by `seq` never see a gap filled later). Readers never take the lock: `read()`
 * is a REPEATABLE READ READ ONLY snapshot.
 *
 * Holding it short. What serialises writers is the time the lock is held, and on a busy machine
 * that is mostly client round trips (each waits for the client's event loop and the scheduler),
 * not the server's work. So a write transaction puts as few round trips as it can inside the lock
 * (pg-conn.ts, write-queue.ts, read-ahead.ts): BEGIN and the lock leave pipelined with the first
 * statement; writes are queued and sent as one statement before the next read; the last writes
 * leave with COMMIT, their optimistic checks done by the server. A reservation and the commit
 * after the controller answered go further and hold it for no round trip at all
 * (speculation.ts): they read without the lock, decide, and then BEGIN, the lock, the server's
 * checks that what they read still holds (rows unchanged; usage and load within the bounds the
 * decision declared), their writes and COMMIT leave as one message, on a connection of their own
 * where those ready together share one BEGIN and COMMIT (pg-lane.ts). When a check fails, the
 * transaction reads again and speculates anew, and runs the locked way after three misses. The
 * aggregates a reservation reads are running totals kept by triggers (totals.ts), so neither the
 * reads nor the checks grow with the estate.
 * A writer waits for the lock until its deadline (`SET LOCAL lock_timeout` to the time left), then
 * fails with `busy`.
 *
 * Failures: a connection that cannot be made, or is lost, ROLLBACKs (or the server aborts the
 * transaction), so no transaction is half-written; errors are translated in pg-errors.ts with
 * the password hidden.
 */
import { Pool, types as pgTypes, type PoolClient, type PoolConfig } from "pg";
import { OtterscaleError } from "../domain/errors";
import { Mutex } from "../lib/mutex";
import { pgSettings, type PgSettings } from "./pg-config";
import { busyError, deadlineSource } from "./busy";
import { isConnectionFailure, ledgerError, type LockWait, type Phase } from "./pg-errors";
import type { AuditEvent, Ledger, LedgerTx, TxOptions } from "./records";
import { rowToAudit } from "./sql";
import type { WriteStats } from "./pg-stats";
import { auditedTransaction, SqlTx, type RawWriter, type SqlDriver } from "./sql-tx";
import { commitBatch, Conn, driverOf, ignore, prepared } from "./pg-conn";
import { speculate, Speculation, speculativeDriver } from "./speculation";
import { CommitLane, PipelinedConnection, type LaneSend } from "./pg-lane";
import type { Row } from "./sql";
import type { Statement } from "./write-queue";

export { batchSql, toDollarParams } from "./pg-conn";
import { inspectSchema, missingLedger, needsUpgrade, upgradeSchema } from "./upgrade";

/**
 * Speculations a transaction makes before it runs under the lock, when the one before missed
 * because what it read moved on (a check failed, or its commit group was rolled back): read again,
 * the next decision is made on the rows that beat it. Under many processes most misses are binpack
 * collisions (concurrent decisions filling the same server), and a run under the lock would hold
 * it, and so every other process, across three client round trips.
 */
const SPECULATIONS = 3;

/** BEGIN of a write transaction: the ledger's write lock, waited for until `deadline`. */
function beginLocked(deadline: number | undefined): string {
  // lock_timeout 0 would mean "wait forever": an expired deadline still gets one short try.
  const limit = deadline === undefined ? "" : `SET LOCAL lock_timeout = ${Math.max(1, deadline - Date.now())}; `;
  return `BEGIN; ${limit}SELECT pg_advisory_xact_lock(${LOCK_NS}, ${WRITE_LOCK})`;
}

/** Advisory lock keys: a namespace ("ottr") and one key per purpose. */
const LOCK_NS = 0x6f747472;
const WRITE_LOCK = 1;
const MIGRATION_LOCK = 2;

const READ_ONLY = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** BIGINT and SUM() arrive as strings; ledger values are thousandths well below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID || oid === NUMERIC_OID ? (v: string) => Number(v) : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

export class PostgresLedger implements Ledger, RawWriter {
  /**
   * One writer per process at a time: writers would queue on the advisory lock anyway, and this
   * keeps them off the pool. (A second write connection for commits, beside the reservations,
   * measured no faster: 0.87x with 1 process, 0.93x with 4, equal with 8.)
   */
  private readonly writes = new Mutex();
  private closed = false;
  private ledgerId = "";
  /** Timing of write transactions (lock wait, hold, statements), when a benchmark asks for it. */
  stats?: WriteStats;
  /** Whether `TxOptions.speculative` is acted on (speculation.ts); a benchmark turns it off to compare. */
  speculation = true;

  private constructor(
    /** The URL with its password hidden (safe to print). */
    readonly url: string,
    /** Snapshot reads (up to pool_max connections). */
    private readonly pool: Pool,
    /**
     * The one connection writes use. Writes run one at a time per process (the mutex), and a
     * writer holds the ledger-wide lock: it must never queue for a connection behind readers.
     */
    private readonly writePool: Pool,
    readonly settings: PgSettings,
    /** Two pipelined connections (pg-lane.ts): one-message transactions, and speculative reads. */
    private readonly lanePool: Pool,
  ) {
    this.lane = new CommitLane(new PipelinedConnection(lanePool), beginLocked);
    this.reads = new PipelinedConnection(lanePool);
  }

  private readonly lane: CommitLane;
  /** A speculative transaction's reads: single statements, none waiting for another. */
  private readonly reads: PipelinedConnection;

  get id(): string {
    return this.ledgerId;
  }

  /**
   * Connects, checks the database holds a ledger (without `create`, one that does not is
   * refused), applies pending migrations (once, under a lock) and returns the ledger.
   */
  static async open(url: string, opts: { create?: boolean } = {}): Promise<PostgresLedger> {
    const settings = pgSettings(url);
    const pool = new Pool({ ...settings.pool, types: TYPES });
    // Pipeline mode: a transaction's BEGIN and first statement go out together (see Conn).
    const writePool = new Pool({ ...settings.pool, max: 1, types: TYPES, pipeline: true } as PoolConfig);
    const lanePool = new Pool({ ...settings.pool, max: 2, types: TYPES, pipeline: true } as PoolConfig);
    // An idle pooled connection dies when the server restarts; the pool drops it and the next
    // transaction opens a new one. Without a listener the 'error' event would kill the process.
    pool.on("error", ignore);
    writePool.on("error", ignore);
    lanePool.on("error", ignore);
    const ledger = new PostgresLedger(settings.label, pool, writePool, settings, lanePool);
    try {
      const state = await ledger.inTransaction(READ_ONLY, (db) => inspectSchema(db, "postgres"));
      if (state.version === undefined && !opts.create) throw missingLedger(settings.label, "the database holds no ledger (no schema_version table)");
      ledger.ledgerId = needsUpgrade(state, "postgres", settings.label) ? await ledger.migrate() : state.id!;
    } catch (e) {
      await Promise.all([pool.end(), writePool.end(), lanePool.end()]).catch(() => undefined);
      throw e;
    }
    return ledger;
  }

  async transaction<T>(fn: (tx: LedgerTx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    // A failed read ends the speculation like any other: the locked run reports the failure.
    const read = async (sql: string, params: readonly unknown[]) => (await this.reads.query(prepared(sql, params))).rows as Row[];
    const commitLocked = (statements: readonly Statement[]) => this.laneCommit(statements, opts);
    for (let attempt = 0; opts.speculative && this.speculation && attempt < SPECULATIONS; attempt++) {
      const seen = new Speculation();
      const r = await speculate(seen, () => auditedTransaction(speculativeDriver(seen, read, commitLocked), fn, seen));
      this.stats?.speculation("value" in r ? (attempt ? "committed on a retry" : "committed") : `missed: ${r.missed}`);
      if ("value" in r) return r.value;
      if (!r.retry) break;
    }
    return this.sqlTransaction((db) => auditedTransaction(db, fn), opts);
  }

  read<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.inTransaction(READ_ONLY, async (db) => {
      const tx = new SqlTx(db);
      const result = await fn(tx);
      await tx.flush(); // a write sent to a read-only transaction fails: reads never write
      return result;
    });
  }

  async audit(sinceSeq = 0, limit = 10_000): Promise<AuditEvent[]> {
    return this.inTransaction(READ_ONLY, async (db) =>
      (await db.all("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [sinceSeq, limit])).map(rowToAudit),
    );
  }

  /**
   * A write transaction on the raw SQL driver, under the write lock, without the audit rule. For
   * `ledger migrate`, which copies rows as they are (generations and audit sequence numbers
   * included). The lock is waited for until `opts.deadline`, else for the URL's lock_timeout
   * (30 s by default); then `busy`.
   */
  async sqlTransaction<T>(fn: (db: SqlDriver) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const { deadline, lockWait } = this.lockWait(opts);
    const release = await this.writes.acquire(deadline);
    if (!release) throw busyError(this.url, Date.now() - lockWait.started, lockWait.source);
    try {
      return await this.inTransaction(beginLocked(deadline), fn, this.writePool, lockWait, "exclusive");
    } finally {
      release();
    }
  }

  /** A one-message transaction on the commit lane (pg-lane.ts): BEGIN with the lock, `statements` as one statement, COMMIT. */
  private async laneCommit(statements: readonly Statement[], opts: TxOptions): Promise<number[]> {
    if (this.closed) throw this.closedError();
    const { deadline, lockWait } = this.lockWait(opts);
    const sent: LaneSend = { committing: false };
    const t0 = performance.now();
    try {
      return await commitBatch(statements, (cfg) => this.lane.send(deadline, cfg, sent), this.stats);
    } catch (e) {
      const lost = isConnectionFailure(e);
      throw ledgerError(e, this.url, lost && sent.committing ? "commit" : lost ? "connect" : "statement", lockWait);
    } finally {
      const locked = sent.begunAt ?? performance.now();
      this.stats?.transaction("lane", locked - t0, performance.now() - locked, 1);
    }
  }

  private closedError(): OtterscaleError {
    return new OtterscaleError("config", `the PostgreSQL ledger ${this.url} is closed`);
  }

  /** How long a writer may wait for the lock (the caller's deadline, else the URL's lock_timeout), and where that came from. */
  private lockWait(opts: TxOptions): { deadline?: number; lockWait: LockWait } {
    const started = Date.now();
    const fallback = this.settings.pool.lock_timeout;
    const deadline = opts.deadline ?? (fallback > 0 ? started + fallback : undefined);
    return { deadline, lockWait: { started, source: deadlineSource(opts.deadline !== undefined, `lock_timeout ${fallback} ms`) } };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.lane.close(), this.reads.close()]);
    await this.writes.run(() => Promise.all([this.pool.end(), this.writePool.end(), this.lanePool.end()]));
  }

  private async connect(pool: Pool): Promise<PoolClient> {
    if (this.closed) throw this.closedError();
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw ledgerError(e, this.url, "connect");
    }
    // A checked-out connection that drops emits 'error' on the client (the pool listens only
    // while it is idle); the statement in flight fails on its own, so the event needs no action.
    client.on("error", ignore);
    return client;
  }

  private async inTransaction<T>(
    begin: string,
    /** `raw` runs unprepared SQL (several statements at once) in the transaction. */
    fn: (db: SqlDriver, raw: (sql: string) => Promise<unknown>) => Promise<T>,
    pool = this.pool,
    lockWait?: LockWait,
    mode?: string,
  ): Promise<T> {
    const stats = mode ? this.stats : undefined;
    const t0 = performance.now();
    const conn = new Conn(await this.connect(pool), begin, pool === this.writePool, () => this.connect(pool));
    let phase: Phase = "statement";
    try {
      const result = await fn(driverOf(conn, stats), (sql) => conn.query(sql));
      if (conn.begun && !conn.committed) {
        phase = "commit";
        const c0 = performance.now();
        await conn.client.query("COMMIT");
        stats?.statement("COMMIT", performance.now() - c0);
      }
      conn.release();
      return result;
    } catch (e) {
      await conn.abort();
      // A connection lost after COMMIT was sent with the last statement: the outcome is unknown.
      throw ledgerError(e, this.url, conn.committing && isConnectionFailure(e) ? "commit" : phase, lockWait);
    } finally {
      const locked = conn.begunAt ?? performance.now();
      stats?.transaction(mode!, locked - t0, performance.now() - locked, 1);
    }
  }

  /**
   * Applies pending migrations and gives the ledger its id, in one transaction under an advisory
   * lock (racing processes wait, then find them applied). It takes the write lock too: a process
   * opened before the upgrade keeps writing, and a migration that fills a table from the rows
   * (the running totals, totals.ts) would miss a row written between its fill and its triggers.
   */
  private async migrate(): Promise<string> {
    return this.inTransaction(
      `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_NS}, ${MIGRATION_LOCK}); SELECT pg_advisory_xact_lock(${LOCK_NS}, ${WRITE_LOCK})`,
      // A migration holds several statements: run it unprepared (simple query protocol).
      (db, raw) => upgradeSchema(db, "postgres", raw, this.url),
      this.writePool,
    );
  }
}
