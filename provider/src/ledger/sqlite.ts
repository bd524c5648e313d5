/**
 * Embedded ledger on SQLite through the built-in `node:sqlite` (no native build), in WAL mode.
 *
 * Two connections. Writes run on one, one `BEGIN IMMEDIATE` transaction at a time (the write
 * lock is taken up front, so the check-then-reserve inside a transaction can never interleave
 * with another writer, in this process (the mutex) or another one (SQLite's lock)). Reads run on
 * the other, in deferred snapshot transactions: in WAL mode a reader never waits for a writer, so
 * `read()`, `audit()` and the CLI's read commands answer while another process is writing.
 *
 * Waiting for the lock. node:sqlite is synchronous, so SQLite's busy timeout would sleep inside
 * the call and freeze the event loop. The busy timeout is therefore a few milliseconds, and a
 * writer that finds the lock taken retries on timers (busy.ts) until its deadline, then fails
 * with `busy`, naming the ledger.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { DatabaseSync as DatabaseSyncType, SQLInputValue } from "node:sqlite";
import { OtterscaleError } from "../domain/errors";
import { busyError, deadlineSource, DEFAULT_LOCK_WAIT_MS, retryUntil } from "./busy";
import { Mutex } from "../lib/mutex";
import type { AuditEvent, Ledger, LedgerTx, TxOptions } from "./records";
import { rowToAudit, type Row } from "./sql";
import { auditedTransaction, SqlTx, type RawWriter, type SqlDriver } from "./sql-tx";
import { inspectSchema, missingLedger, needsUpgrade, upgradeSchema } from "./upgrade";

/** SQLite may sleep this long inside a call before reporting SQLITE_BUSY (it blocks the event loop). */
const DRIVER_BUSY_MS = 5;
/** Where the deadline came from when the caller gave none (for the busy message). */
const DEFAULT_WAIT = `default ${DEFAULT_LOCK_WAIT_MS / 1000} s`;

/** One connection and its statement cache. */
interface Conn {
  readonly db: DatabaseSyncType;
  readonly driver: SqlDriver;
}

export class SqliteLedger implements Ledger, RawWriter {
  private readonly writes = new Mutex();
  private readonly reads = new Mutex();

  private constructor(
    /** The URL (a SQLite URL has no password). */
    readonly url: string,
    readonly id: string,
    private readonly writer: Conn,
    private readonly reader: Conn,
  ) {}

  /**
   * Opens the ledger in `file`. Without `create`, a missing file (none is created, nor its
   * directory) or a file without a ledger schema is refused.
   */
  static async open(file: string, url = `sqlite://${file}`, opts: { create?: boolean } = {}): Promise<SqliteLedger> {
    const create = opts.create === true;
    if (!create && !fs.existsSync(file)) throw missingLedger(url, `the file ${file} does not exist`);
    if (create) fs.mkdirSync(path.dirname(file), { recursive: true });
    const writer = connect(file, create, url);
    let reader: Conn | undefined;
    try {
      const state = await snapshot(writer, (db) => inspectSchema(db, "sqlite"));
      if (state.version === undefined && !create) throw missingLedger(url, `the file ${file} holds no ledger`);
      let id = state.id;
      if (needsUpgrade(state, "sqlite", url)) id = await upgrade(writer, url);
      reader = connect(file, false, url);
      reader.db.exec("PRAGMA query_only = ON");
      return new SqliteLedger(url, id!, writer, reader);
    } catch (e) {
      writer.db.close();
      reader?.db.close();
      // e.g. "file is not a database": say which file, never a driver stack.
      throw OtterscaleError.isInstance(e) ? e : new OtterscaleError("config", `cannot open SQLite ledger ${file}: ${(e as Error).message}`);
    }
  }

  transaction<T>(fn: (tx: LedgerTx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    return this.sqlTransaction((db) => auditedTransaction(db, fn), opts);
  }

  /**
   * A write transaction on the raw SQL driver, under the write lock, without the audit rule. For
   * `ledger migrate`, which copies rows (audit events included) as they are.
   */
  async sqlTransaction<T>(fn: (db: SqlDriver) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const started = Date.now();
    const deadline = opts.deadline ?? started + DEFAULT_LOCK_WAIT_MS;
    const busy = () => busyError(this.url, Date.now() - started, deadlineSource(opts.deadline !== undefined, DEFAULT_WAIT));
    const release = await this.writes.acquire(deadline);
    if (!release) throw busy();
    try {
      if (!(await beginImmediate(this.writer.db, deadline))) throw busy();
      return await inOpenTransaction(this.writer, fn);
    } finally {
      release();
    }
  }

  read<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.reads.run(() => snapshot(this.reader, (db) => fn(new SqlTx(db))));
  }

  async audit(sinceSeq = 0, limit = 10_000): Promise<AuditEvent[]> {
    return this.reads.run(() =>
      snapshot(this.reader, async (db) => (await db.all("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [sinceSeq, limit])).map(rowToAudit)),
    );
  }

  async close(): Promise<void> {
    await this.writes.run(() =>
      this.reads.run(async () => {
        this.reader.db.close();
        this.writer.db.close();
      }),
    );
  }
}

/**
 * A connection to `file`. Without `create` it is opened with `mode=rw`, so SQLite itself never
 * creates the file (not even if it vanished since the caller checked).
 */
function connect(file: string, create: boolean, label: string): Conn {
  // Loaded lazily: node:sqlite prints an experimental warning on some Node versions.
  const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite");
  const uri = pathToFileURL(file);
  uri.search = create ? "mode=rwc" : "mode=rw";
  let db: DatabaseSyncType | undefined;
  try {
    db = new DatabaseSync(uri, { timeout: DRIVER_BUSY_MS });
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    return { db, driver: driverOf(db) };
  } catch (e) {
    db?.close();
    if (!create && !fs.existsSync(file)) throw missingLedger(label, `the file ${file} does not exist`);
    throw new OtterscaleError("config", `cannot open SQLite ledger ${file}: ${(e as Error).message}`);
  }
}

function driverOf(db: DatabaseSyncType): SqlDriver {
  const cache = new Map<string, ReturnType<DatabaseSyncType["prepare"]>>();
  const prepared = (sql: string) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
  return {
    all: async (sql, params = []) => prepared(sql).all(...(params as SQLInputValue[])) as Row[],
    run: async (sql, params = []) => ({ changes: Number(prepared(sql).run(...(params as SQLInputValue[])).changes) }),
  };
}

/** SQLITE_BUSY / SQLITE_LOCKED, extended codes included: another connection holds the lock. */
function isBusy(e: unknown): boolean {
  const code = (e as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

/** Runs `sql` once; false when another connection holds the lock. */
function tryExec(db: DatabaseSyncType, sql: string): boolean {
  try {
    db.exec(sql);
    return true;
  } catch (e) {
    if (isBusy(e)) return false;
    throw e;
  }
}

/** Takes the write lock, retrying on timers until `deadline`; false when it stayed taken. */
function beginImmediate(db: DatabaseSyncType, deadline: number): Promise<boolean> {
  return retryUntil(() => tryExec(db, "BEGIN IMMEDIATE"), deadline);
}

/** Runs `fn` in the transaction just begun on `conn`: COMMIT on success, ROLLBACK on any error. */
async function inOpenTransaction<T>(conn: Conn, fn: (db: SqlDriver) => Promise<T>): Promise<T> {
  try {
    const result = await fn(conn.driver);
    conn.db.exec("COMMIT");
    return result;
  } catch (e) {
    if (conn.db.isTransaction) conn.db.exec("ROLLBACK");
    throw e;
  }
}

/** A deferred (snapshot) transaction: takes no write lock, so it never waits for a writer in WAL mode. */
function snapshot<T>(conn: Conn, fn: (db: SqlDriver) => Promise<T>): Promise<T> {
  conn.db.exec("BEGIN");
  return inOpenTransaction(conn, fn);
}

/**
 * Creates or migrates the schema under the write lock (racing processes queue on it, and the
 * later ones find the work done). WAL first: it is a property of the file, set once.
 */
async function upgrade(conn: Conn, label: string): Promise<string> {
  const started = Date.now();
  const deadline = started + DEFAULT_LOCK_WAIT_MS;
  const journal = conn.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
  const wal = journal.journal_mode === "wal" || (await retryUntil(() => tryExec(conn.db, "PRAGMA journal_mode = WAL"), deadline));
  if (!wal || !(await beginImmediate(conn.db, deadline))) throw busyError(label, Date.now() - started, DEFAULT_WAIT);
  return inOpenTransaction(conn, (db) => upgradeSchema(db, "sqlite", async (sql) => conn.db.exec(sql), label));
}
