/**
 * Embedded ledger on SQLite through the built-in `node:sqlite` (no native build). WAL mode, a busy
 * timeout for other processes, and one `BEGIN IMMEDIATE` transaction per mutation: the write lock
 * is taken up front, so the check-then-reserve inside a transaction can never interleave with
 * another writer, in this process (the mutex) or another one (SQLite's lock).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DatabaseSync as DatabaseSyncType, SQLInputValue } from "node:sqlite";
import { OtterscaleError } from "../domain/errors";
import { Mutex } from "./mutex";
import type { AuditEvent, Ledger, LedgerTx } from "./records";
import { MIGRATIONS, rowToAudit, type Row } from "./sql";
import { SqlTx, type SqlDriver } from "./sql-tx";

const BUSY_TIMEOUT_MS = 30_000;

export class SqliteLedger implements Ledger {
  /** TEMPORARY until the ledger-identity change lands. */
  id = "unset";
  private readonly mutex = new Mutex();
  private readonly driver: SqlDriver;

  private constructor(
    readonly url: string,
    private readonly db: DatabaseSyncType,
  ) {
    const stmt = (sql: string) => this.db.prepare(sql);
    const cache = new Map<string, ReturnType<typeof stmt>>();
    const prepared = (sql: string) => {
      let s = cache.get(sql);
      if (!s) cache.set(sql, (s = stmt(sql)));
      return s;
    };
    this.driver = {
      all: async (sql, params = []) => prepared(sql).all(...(params as SQLInputValue[])) as Row[],
      run: async (sql, params = []) => ({ changes: Number(prepared(sql).run(...(params as SQLInputValue[])).changes) }),
    };
  }

  static open(file: string, url = `sqlite://${file}`): SqliteLedger {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Loaded lazily: node:sqlite prints an experimental warning on some Node versions.
    const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite");
    let db: DatabaseSyncType;
    try {
      db = new DatabaseSync(file);
    } catch (e) {
      throw new OtterscaleError("config", `cannot open SQLite ledger ${file}: ${(e as Error).message}`);
    }
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    const ledger = new SqliteLedger(url, db);
    ledger.migrate();
    return ledger;
  }

  /** Applies pending migrations in one immediate transaction (safe when processes race to create). */
  private migrate(): void {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      const row = this.db.prepare("SELECT version FROM schema_version").get() as { version: number } | undefined;
      let version = row?.version ?? 0;
      if (!row) this.db.prepare("INSERT INTO schema_version (version) VALUES (0)").run();
      if (version > MIGRATIONS.length) {
        throw new OtterscaleError("config", `ledger schema version ${version} is newer than this provider supports (${MIGRATIONS.length}); upgrade otterscale-iac`);
      }
      for (; version < MIGRATIONS.length; version++) this.db.exec(MIGRATIONS[version]);
      this.db.prepare("UPDATE schema_version SET version = ?").run(version);
      this.db.exec("COMMIT");
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.inTransaction("BEGIN IMMEDIATE", fn);
  }

  read<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.inTransaction("BEGIN", fn);
  }

  private inTransaction<T>(begin: string, fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.db.exec(begin);
      try {
        const result = await fn(new SqlTx(this.driver));
        this.db.exec("COMMIT");
        return result;
      } catch (e) {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
        throw e;
      }
    });
  }

  async audit(sinceSeq = 0, limit = 10_000): Promise<AuditEvent[]> {
    return this.read(async () =>
      (this.db.prepare("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?").all(sinceSeq, limit) as Row[]).map(rowToAudit),
    );
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => this.db.close());
  }
}
