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
 * write, and nobody else can write), and costs one round trip; reservations are short (a few ms),
 * so the serialisation is not the bottleneck below hundreds of reservations per second.
 * Readers never take the lock: `read()` is a REPEATABLE READ READ ONLY snapshot.
 * A writer waits for the lock until its deadline (`SET LOCAL lock_timeout` to the time left), then
 * fails with `busy`.
 *
 * Failures: a connection that cannot be made, or is lost, ROLLBACKs (or the server aborts the
 * transaction), so no transaction is half-written; errors are translated in pg-errors.ts with
 * the password hidden.
 */
import { Pool, types as pgTypes, type PoolClient, type PoolConfig, type QueryConfig, type QueryResult } from "pg";
import { OtterscaleError } from "../domain/errors";
import { Mutex } from "../lib/mutex";
import { pgSettings, type PgSettings } from "./pg-config";
import { busyError, deadlineSource } from "./busy";
import { isConnectionFailure, ledgerError, type LockWait, type Phase } from "./pg-errors";
import type { AuditEvent, Ledger, LedgerTx, TxOptions } from "./records";
import { rowToAudit, type Row } from "./sql";
import type { WriteStats } from "./pg-stats";
import { auditedTransaction, SqlTx, UnexpectedRowCount, type RawWriter, type SqlDriver, type Statement } from "./sql-tx";
import { inspectSchema, missingLedger, needsUpgrade, upgradeSchema } from "./upgrade";

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

/** `?` placeholders (the shared SQL) to `$1..$n`, leaving quoted literals alone. */
export function toDollarParams(sql: string): string {
  let n = 0;
  let quoted = false;
  let out = "";
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === "?" && !quoted ? `$${++n}` : ch;
  }
  return out;
}

/** Statement text -> prepared statement name and `$n` text (prepared once per connection by `pg`). */
const statements = new Map<string, { readonly name: string; readonly text: string }>();
function prepared(sql: string, values: readonly unknown[]): QueryConfig {
  let s = statements.get(sql);
  if (!s) statements.set(sql, (s = { name: `otterscale_${statements.size + 1}`, text: toDollarParams(sql) }));
  return { name: s.name, text: s.text, values: values as unknown[] };
}

function driverOf(conn: Conn, stats?: WriteStats): SqlDriver {
  const query = stats
    ? async (sql: string, params: readonly unknown[]) => {
        const t0 = performance.now();
        try {
          return await conn.query(prepared(sql, params));
        } finally {
          stats.statement(sql, performance.now() - t0);
        }
      }
    : (sql: string, params: readonly unknown[]) => conn.query(prepared(sql, params));
  return {
    all: async (sql, params = []) => (await query(sql, params)).rows as Row[],
    run: async (sql, params = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
    batch: async (statements) => {
      const [row] = (await query(batchSql(statements), statements.flatMap((s) => s.params))).rows as Row[];
      return statements.map((_, i) => Number(row[`n${i}`]));
    },
    commitWith: async (statements) => {
      const sql = batchSql(statements, true);
      const t0 = performance.now();
      try {
        const [row] = (await conn.queryAndCommit(prepared(sql, statements.flatMap((s) => s.params)))).rows as Row[];
        return statements.map((_, i) => Number(row[`n${i}`]));
      } catch (e) {
        const failed = /otterscale: unexpected row count in w(\d+)/.exec(String((e as Error).message));
        throw failed ? new UnexpectedRowCount(Number(failed[1])) : e;
      } finally {
        stats?.statement(`${sql} + COMMIT`, performance.now() - t0);
      }
    },
  };
}

/**
 * Writes on different tables as one statement: each a data-modifying WITH query, all run to
 * completion against one snapshot (none sees another's rows: hence different tables), and the
 * row count of each. Placeholders stay in order, so the parameters are the statements' in turn.
 */
export function batchSql(statements: readonly Statement[], check = false): string {
  const parts = statements.map((s, i) => `w${i} AS (${s.sql} RETURNING 1)`);
  const counts = statements.map((_, i) => `(SELECT COUNT(*) FROM w${i}) AS n${i}`);
  // `check`: the server refuses (an error, so a COMMIT sent behind it rolls back) when a
  // statement changed another number of rows than it expects. The cast of a computed text to
  // INTEGER is SQL's way to raise; the text names the statement.
  const expected = statements.flatMap((s, i) => (check && s.expect !== undefined ? [`WHEN (SELECT COUNT(*) FROM w${i}) <> ${s.expect} THEN 'otterscale: unexpected row count in w${i}'`] : []));
  if (expected.length) counts.push(`CAST(CASE ${expected.join(" ")} ELSE '0' END AS INTEGER) AS checked`);
  return `WITH ${parts.join(", ")} SELECT ${counts.join(", ")}`;
}

/**
 * The connection of one transaction. Its BEGIN (with the write lock) is sent lazily, together
 * with the transaction's first statement: on a write connection (`pipeline` mode) both leave in
 * one round trip, and the server runs the statement after the lock is taken (a READ COMMITTED
 * statement's snapshot is taken when it starts, so it sees every write committed before the
 * lock). A transaction that runs no statement begins nothing.
 */
class Conn {
  private pendingBegin?: string;
  /** When BEGIN (and the lock) completed: performance.now(). */
  begunAt?: number;

  constructor(
    public client: PoolClient,
    begin: string,
    /** A pipeline-mode connection: BEGIN and the first statement need not wait for each other. */
    private readonly pipelined: boolean,
    /** A fresh connection, when the one we hold turns out dead before anything ran on it. */
    private readonly reconnect: () => Promise<PoolClient>,
  ) {
    this.pendingBegin = begin;
  }

  get begun(): boolean {
    return this.pendingBegin === undefined;
  }

  /** COMMIT was sent (its outcome is unknown if the connection fails now). */
  committing = false;
  /** The transaction ended with `queryAndCommit`. */
  committed = false;

  /**
   * The transaction's last statement and COMMIT in one round trip (pipeline mode), BEGIN too
   * when nothing ran before: a transaction that only writes is one round trip, and the write
   * lock is held only while the server runs it. When the statement fails, the server answers
   * the COMMIT by rolling back. Retried on a fresh connection only when nothing was sent (a
   * pooled connection found dead): once sent, a lost connection leaves the outcome unknown.
   */
  async queryAndCommit(cfg: QueryConfig): Promise<QueryResult> {
    if (!this.pipelined) {
      const r = await this.query(cfg);
      this.committing = true;
      await this.client.query("COMMIT");
      this.committed = true;
      return r;
    }
    const begin = this.pendingBegin;
    this.pendingBegin = undefined;
    try {
      return await this.sendAndCommit(begin, cfg);
    } catch (e) {
      if (begin === undefined || !/not queryable|Client was closed/.test(String((e as Error).message))) throw e;
      await abort(this.client);
      this.client = await this.reconnect();
      return this.sendAndCommit(begin, cfg);
    }
  }

  private async sendAndCommit(begin: string | undefined, cfg: QueryConfig): Promise<QueryResult> {
    const begun = begin === undefined ? Promise.resolve(undefined) : this.client.query(begin).then((r) => ((this.begunAt = performance.now()), r));
    this.committing = true;
    const last = this.client.query(cfg);
    const commit = this.client.query("COMMIT");
    const [b, l, c] = await Promise.allSettled([begun, last, commit]);
    this.committed = c.status === "fulfilled" && c.value.command === "COMMIT";
    // The first failure is the cause (a lock timeout at BEGIN, then the statement's); COMMIT's answer was ROLLBACK.
    for (const r of [b, l, c]) if (r.status === "rejected") throw r.reason;
    if (!this.committed) throw new Error("the server rolled the transaction back at COMMIT");
    return (l as PromiseFulfilledResult<QueryResult>).value;
  }

  async query(cfg: QueryConfig | string): Promise<QueryResult> {
    const begin = this.pendingBegin;
    if (begin === undefined) return this.client.query(cfg as QueryConfig);
    this.pendingBegin = undefined;
    try {
      return await this.beginWith(begin, cfg);
    } catch (e) {
      // A pooled connection can be dead without the pool knowing yet (server restarted, network
      // blip). Nothing has run: begin once more on a fresh connection.
      if (!isConnectionFailure(e)) throw e;
      await abort(this.client);
      this.client = await this.reconnect();
      return this.beginWith(begin, cfg);
    }
  }

  /** Sends BEGIN and the first statement without waiting in between; a failed BEGIN (lock timeout) is the error reported. */
  private async beginWith(begin: string, cfg: QueryConfig | string): Promise<QueryResult> {
    const begun = this.client.query(begin);
    if (!this.pipelined) {
      await begun;
      this.begunAt = performance.now();
      return this.client.query(cfg as QueryConfig);
    }
    const first = this.client.query(cfg as QueryConfig);
    first.catch(ignore); // awaited below, once BEGIN succeeded
    await begun;
    this.begunAt = performance.now();
    return first;
  }
}

export class PostgresLedger implements Ledger, RawWriter {
  /** One writer per process at a time: writers would queue on the advisory lock anyway, and this keeps them off the pool. */
  private readonly writes = new Mutex();
  private closed = false;
  private ledgerId = "";
  /** Timing of write transactions (lock wait, hold, statements), when a benchmark asks for it. */
  stats?: WriteStats;

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
  ) {}

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
    // An idle pooled connection dies when the server restarts; the pool drops it and the next
    // transaction opens a new one. Without a listener the 'error' event would kill the process.
    pool.on("error", ignore);
    writePool.on("error", ignore);
    const ledger = new PostgresLedger(settings.label, pool, writePool, settings);
    try {
      const state = await ledger.inTransaction(READ_ONLY, (db) => inspectSchema(db, "postgres"));
      if (state.version === undefined && !opts.create) throw missingLedger(settings.label, "the database holds no ledger (no schema_version table)");
      ledger.ledgerId = needsUpgrade(state, "postgres", settings.label) ? await ledger.migrate() : state.id!;
    } catch (e) {
      await Promise.all([pool.end(), writePool.end()]).catch(() => undefined);
      throw e;
    }
    return ledger;
  }

  transaction<T>(fn: (tx: LedgerTx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
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
    const started = Date.now();
    const fallback = this.settings.pool.lock_timeout;
    const deadline = opts.deadline ?? (fallback > 0 ? started + fallback : undefined);
    const lockWait = { started, source: deadlineSource(opts.deadline !== undefined, `lock_timeout ${fallback} ms`) };
    const release = await this.writes.acquire(deadline);
    if (!release) throw busyError(this.url, Date.now() - started, lockWait.source);
    try {
      // lock_timeout 0 would mean "wait forever": an expired deadline still gets one short try.
      const limit = deadline === undefined ? "" : `SET LOCAL lock_timeout = ${Math.max(1, deadline - Date.now())}; `;
      return await this.inTransaction(`BEGIN; ${limit}SELECT pg_advisory_xact_lock(${LOCK_NS}, ${WRITE_LOCK})`, fn, this.writePool, lockWait, "exclusive");
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writes.run(() => Promise.all([this.pool.end(), this.writePool.end()]));
  }

  private async connect(pool: Pool): Promise<PoolClient> {
    if (this.closed) throw new OtterscaleError("config", `the PostgreSQL ledger ${this.url} is closed`);
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
      release(conn.client);
      return result;
    } catch (e) {
      await abort(conn.client);
      // A connection lost after COMMIT was sent with the last statement: the outcome is unknown.
      throw ledgerError(e, this.url, conn.committing && isConnectionFailure(e) ? "commit" : phase, lockWait);
    } finally {
      const locked = conn.begunAt ?? performance.now();
      stats?.transaction(mode!, locked - t0, performance.now() - locked, 1);
    }
  }

  /** Applies pending migrations and gives the ledger its id, in one transaction under an advisory lock (racing processes wait, then find them applied). */
  private async migrate(): Promise<string> {
    return this.inTransaction(
      `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_NS}, ${MIGRATION_LOCK})`,
      // A migration holds several statements: run it unprepared (simple query protocol).
      (db, raw) => upgradeSchema(db, "postgres", raw, this.url),
      this.writePool,
    );
  }
}

function ignore(): void {}



/**
 * ROLLBACK explicitly so a domain error (quota, placement...) leaves nothing behind, then hand
 * the connection back; if it is broken, the server has already aborted the transaction and the
 * connection is discarded.
 */
async function abort(client: PoolClient): Promise<void> {
  const ok = await client.query("ROLLBACK").then(
    () => true,
    () => false,
  );
  release(client, !ok);
}

function release(client: PoolClient, destroy = false): void {
  client.removeListener("error", ignore);
  client.release(destroy ? true : undefined);
}
