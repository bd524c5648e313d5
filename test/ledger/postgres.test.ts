/**
 * The PostgreSQL ledger against a real server: URL settings and TLS, migrations racing between
 * processes' worth of opens, unreachable servers, timeouts and no partial writes.
 */
import assert from "node:assert/strict";
import { Client } from "pg";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { openLedger } from "../../provider/src/ledger/open";
import { pgSettings } from "../../provider/src/ledger/pg-config";
import { PostgresLedger, toDollarParams } from "../../provider/src/ledger/postgres";
import { MIGRATIONS, migrationsFor } from "../../provider/src/ledger/sql";
import { sharedPostgres, type PgServer } from "../support/postgres";
import { rejects } from "../support/estate";
import { auditEvent, ledgerRecord } from "../support/ledger";

const record = ledgerRecord;
const audit = (key: string) => auditEvent(key);

async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe("PostgreSQL ledger: settings from the URL", () => {
  it("reads host, port, database, credentials, timeouts and pool size", () => {
    const s = pgSettings("postgres://ops:s%40cret@db.internal:6543/otterscale?statement_timeout=5000&lock_timeout=2000&pool_max=4&connect_timeout=3");
    assert.deepEqual(
      [s.pool.host, s.pool.port, s.pool.database, s.pool.user, s.pool.password, s.pool.statement_timeout, s.pool.lock_timeout, s.pool.max, s.pool.connectionTimeoutMillis],
      ["db.internal", 6543, "otterscale", "ops", "s@cret", 5000, 2000, 4, 3000],
    );
    assert.equal(s.label, "postgres://ops:***@db.internal:6543/otterscale?statement_timeout=5000&lock_timeout=2000&pool_max=4&connect_timeout=3");
    const d = pgSettings("postgresql://localhost/x");
    assert.deepEqual([d.pool.port, d.pool.statement_timeout, d.pool.lock_timeout, d.pool.idle_in_transaction_session_timeout, d.pool.max, d.pool.ssl], [5432, 30_000, 30_000, 60_000, 10, false]);
  });

  it("maps sslmode like libpq", () => {
    const files: Record<string, string> = { "/ca.pem": "CA", "/c.pem": "CERT", "/c.key": "KEY" };
    const read = (p: string) => Buffer.from(files[p] ?? (() => { throw Object.assign(new Error("nope"), { code: "ENOENT" }); })());
    const ssl = (q: string) => pgSettings(`postgres://h/db?${q}`, read).pool.ssl as Record<string, unknown> | false;
    assert.equal(ssl("sslmode=disable"), false);
    assert.equal(ssl("sslmode=prefer"), false);
    assert.deepEqual(ssl("sslmode=require"), { rejectUnauthorized: false });
    const full = ssl("sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/c.key") as Record<string, unknown>;
    assert.deepEqual([full.rejectUnauthorized, String(full.ca), String(full.cert), String(full.key), full.checkServerIdentity], [true, "CA", "CERT", "KEY", undefined]);
    const ca = ssl("sslmode=verify-ca&sslrootcert=/ca.pem") as Record<string, unknown>;
    assert.equal(ca.rejectUnauthorized, true);
    assert.equal(typeof ca.checkServerIdentity, "function", "verify-ca skips the host name check");
    const requireWithCa = ssl("sslmode=require&sslrootcert=/ca.pem") as Record<string, unknown>;
    assert.equal(requireWithCa.rejectUnauthorized, true, "require + sslrootcert verifies the CA, as libpq does");
  });

  it("refuses bad settings with config errors that never show the password", () => {
    const cases: [string, RegExp][] = [
      ["postgres://u:hunter2@h/db?sslmode=maybe", /sslmode must be one of/],
      ["postgres://u:hunter2@h/db?ssl_mode=require", /unknown parameter ssl_mode/],
      ["postgres://u:hunter2@h/db?sslmode=require&sslrootcert=/nonexistent/ca.pem", /cannot read sslrootcert \/nonexistent\/ca.pem \(ENOENT\)/],
      ["postgres://u:hunter2@h/db?sslrootcert=/ca.pem", /sslmode=prefer does not use TLS/],
      ["postgres://u:hunter2@h/db?statement_timeout=soon", /statement_timeout must be an integer/],
      ["postgres://u:hunter2@h/", /no database name/],
    ];
    for (const [url, re] of cases) {
      let err: unknown;
      try {
        pgSettings(url);
      } catch (e) {
        err = e;
      }
      assert.ok(OtterscaleError.isInstance(err), url);
      assert.equal(err.code, "config");
      assert.match(err.message, re);
      assert.ok(!err.message.includes("hunter2"), err.message);
      assert.match(err.message, /u:\*\*\*@h/);
    }
  });

  it("rewrites ? placeholders outside quoted literals", () => {
    assert.equal(toDollarParams("SELECT ? , '?', k = ? WHERE v = 'a?b' AND w IN (?, ?)"), "SELECT $1 , '?', k = $2 WHERE v = 'a?b' AND w IN ($3, $4)");
  });

  it("PostgreSQL migrations differ from SQLite's only in the audit identity column and the totals' triggers", () => {
    const [sqlite, pg] = [migrationsFor("sqlite"), migrationsFor("postgres")];
    assert.equal(sqlite[0], MIGRATIONS[0]);
    assert.match(pg[0], /seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY/);
    assert.equal(pg[0].replace("seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "seq INTEGER PRIMARY KEY AUTOINCREMENT"), MIGRATIONS[0]);
    assert.equal(pg[1], sqlite[1]);
    const tables = (m: string) => m.slice(0, m.indexOf("CREATE TRIGGER") === -1 ? undefined : Math.min(...["CREATE TRIGGER", "CREATE FUNCTION"].map((k) => m.indexOf(k)).filter((i) => i >= 0)));
    assert.equal(tables(pg[2]), tables(sqlite[2]), "the same tables and backfill");
  });
});

describe("PostgreSQL ledger on a real server", function () {
  this.timeout(60_000);
  let pg: PgServer;
  before(async () => {
    pg = await sharedPostgres();
  });

  it("racing creates of a fresh database apply the migrations exactly once and agree on one ledger id", async () => {
    const url = await pg.createDatabase("t", { ledger: false });
    const ledgers = await Promise.all(Array.from({ length: 6 }, () => PostgresLedger.open(url, { create: true })));
    await Promise.all(ledgers.map((l) => l.close()));
    assert.deepEqual(await query(url, "SELECT version FROM schema_version"), [{ version: MIGRATIONS.length }]);
    const meta = await query<{ k: string; v: string }>(url, "SELECT k, v FROM meta ORDER BY k");
    assert.deepEqual(meta.map((m) => m.k), ["inventory_generation", "ledger_id"]);
    assert.match(meta[1].v, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(new Set(ledgers.map((l) => l.id)), new Set([meta[1].v]));
  });

  it("a database without a ledger is refused unless created, and is left untouched", async () => {
    const url = await pg.createDatabase("t", { ledger: false });
    const err = await rejects(openLedger(url));
    assert.equal(err.code, "unreachable");
    assert.equal((err as unknown as OtterscaleError).details.missing, true);
    assert.match(err.message, new RegExp(`^no ledger at ${url.replace(/[.?]/g, "\\$&")}: the database holds no ledger \\(no schema_version table\\), so this ledger does not exist`));
    assert.match(err.message, /otterscale ledger init --ledger-url postgres:\/\/.* or set OTTERSCALE_LEDGER_CREATE=1/);
    assert.deepEqual(await query(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"), []);
    const created = await openLedger(url, { create: true });
    const again = await openLedger(url);
    assert.equal(again.id, created.id);
    await Promise.all([created.close(), again.close()]);
  });

  it("refuses a ledger whose schema is newer than this build", async () => {
    const url = await pg.createDatabase();
    await (await PostgresLedger.open(url)).close();
    await query(url, "UPDATE schema_version SET version = 7");
    const err = await rejects(openLedger(url));
    assert.equal(err.code, "config");
    assert.match(err.message, new RegExp(`ledger schema version 7 .* is newer than this provider supports \\(${MIGRATIONS.length}\\); upgrade otterscale-iac`));
  });

  it("round-trips records with BIGINT values as numbers, and sums usage", async () => {
    const ledger = await PostgresLedger.open(await pg.createDatabase());
    await ledger.transaction(async (tx) => {
      await tx.put(record("acme/a", { leaseExpires: 1_900_000_000_000 }));
      await tx.put(record("acme/b"));
      await tx.setAllocations("virtual_machine", "acme/a", [{ kind: "virtual_machine", key: "acme/a", replica: 0, server: "s1", resources: { cpu: 4000, memory: 8000, storage: 0, gpus: 0 }, gpuModel: null }]);
      await tx.appendAudit(audit("acme/a"));
    });
    const back = await ledger.read((tx) => tx.get("virtual_machine", "acme/a"));
    assert.deepEqual(back, record("acme/a", { leaseExpires: 1_900_000_000_000 }));
    const usage = await ledger.read((tx) => tx.usage("acme", "g"));
    assert.deepEqual(usage, { resources: { cpu: 8000, memory: 16000, storage: 0, gpus: 0 }, virtualMachines: 2, vclusters: 0, blockPools: 0 });
    const load = await ledger.read((tx) => tx.serverLoad());
    assert.deepEqual([...load], [["s1", { allocated: { cpu: 4000, memory: 8000, storage: 0, gpus: 0 }, gpuModels: {} }]]);
    await ledger.close();
  });

  it("queued writes: a stale write sent with COMMIT rolls everything back and names the row; reads see the transaction's own writes", async () => {
    const ledger = await PostgresLedger.open(await pg.createDatabase());
    await ledger.transaction(async (tx) => {
      await tx.put(record("acme/a"));
      await tx.appendAudit(audit("acme/a"));
    });
    // The stale update (generation 1 again) is the last write: it goes out together with COMMIT.
    const err = await rejects(
      ledger.transaction(async (tx) => {
        await tx.put(record("acme/b"));
        assert.equal((await tx.get("virtual_machine", "acme/b"))?.key, "acme/b", "a read sends the queued writes first");
        await tx.setAllocations("virtual_machine", "acme/b", [{ kind: "virtual_machine", key: "acme/b", replica: 0, server: "s1", resources: { cpu: 4000, memory: 8000, storage: 0, gpus: 0 }, gpuModel: null }]);
        await tx.put({ ...record("acme/a"), generation: 3 });
        await tx.appendAudit(audit("acme/b"));
      }),
    );
    assert.equal(err.code, "conflict");
    assert.match(err.message, /virtual_machine acme\/a was changed concurrently \(expected generation 2\)/);
    assert.deepEqual((await ledger.read((tx) => tx.list())).map((r) => r.key), ["acme/a"]);
    assert.deepEqual(await ledger.read((tx) => tx.allocations()), []);
    assert.equal((await ledger.audit()).length, 1);
    // The same writes with the right generation commit, all of them.
    await ledger.transaction(async (tx) => {
      await tx.put(record("acme/b"));
      await tx.put({ ...record("acme/a"), generation: 2 });
      await tx.appendAudit(audit("acme/b"));
    });
    assert.deepEqual((await ledger.read((tx) => tx.list())).map((r) => [r.key, r.generation]), [["acme/a", 2], ["acme/b", 1]]);
    assert.equal((await ledger.audit()).length, 2);
    await ledger.close();
  });

  it("a failing transaction writes nothing; read() is read-only", async () => {
    const ledger = await PostgresLedger.open(await pg.createDatabase());
    const err = await rejects(
      ledger.transaction(async (tx) => {
        await tx.put(record("acme/a"));
        await tx.appendAudit(audit("acme/a"));
        throw new OtterscaleError("quota_exceeded", "no room");
      }),
    );
    assert.equal(err.code, "quota_exceeded");
    assert.equal(await ledger.read((tx) => tx.get("virtual_machine", "acme/a")), undefined);
    assert.deepEqual(await ledger.audit(), []);
    await assert.rejects(ledger.read((tx) => tx.put(record("acme/b"))), /read-only transaction/);
    await ledger.close();
  });

  it("a connection killed mid-transaction: clear retryable error, nothing written, the next transaction works", async () => {
    const url = await pg.createDatabase();
    const ledger = await PostgresLedger.open(url);
    const err = await rejects(
      ledger.transaction(async (tx) => {
        await tx.list(); // the transaction has begun on the server (BEGIN goes with the first statement)
        await tx.put(record("acme/a"));
        await query(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        await tx.put(record("acme/b"));
      }),
    );
    assert.equal(err.code, "unavailable");
    // Only this transaction is known to be rolled back: the caller may have committed earlier ones.
    assert.match(err.message, /connection to the PostgreSQL ledger at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ was lost .*; this transaction was rolled back; retry/);
    assert.doesNotMatch(err.message, /nothing was written/);
    assert.equal((err as unknown as OtterscaleError).details.phase, "statement");
    assert.ok(!/\n\s+at /.test(err.message), "no stack trace in the message");
    assert.deepEqual(await ledger.read((tx) => tx.list()), []);
    await ledger.transaction(async (tx) => {
      await tx.put(record("acme/c"));
      await tx.appendAudit(audit("acme/c"));
    });
    assert.deepEqual((await ledger.read((tx) => tx.list())).map((r) => r.key), ["acme/c"]);
    await ledger.close();
  });

  it("a connection killed before an audited transaction's last writes and COMMIT went out: rolled back (statement phase), not 'outcome unknown'", async () => {
    const url = await pg.createDatabase();
    const ledger = await PostgresLedger.open(url);
    const err = await rejects(
      ledger.transaction(async (tx) => {
        await tx.list();
        await tx.put(record("acme/a")); // queued: goes out with the audit and COMMIT
        await query(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        await new Promise((r) => setTimeout(r, 100)); // the client notices the lost connection
        await tx.appendAudit(audit("acme/a"));
      }),
    );
    assert.equal((err as unknown as OtterscaleError).details.phase, "statement");
    assert.match(err.message, /this transaction was rolled back; retry/);
    assert.deepEqual(await ledger.read((tx) => tx.list()), []);
    await ledger.close();
  });

  it("the write lock is held per transaction: a stuck writer elsewhere gives a busy error after lock_timeout", async () => {
    const url = await pg.createDatabase();
    const ledger = await PostgresLedger.open(`${url}?lock_timeout=200`);
    const holder = await PostgresLedger.open(url);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const holding = holder.transaction(async (tx) => {
      await tx.inventoryGeneration(); // a statement: BEGIN and the write lock go with it
      entered();
      await held;
    });
    await inside;
    const t0 = Date.now();
    const err = await rejects(ledger.transaction((tx) => tx.put(record("acme/a"))));
    assert.equal(err.code, "busy");
    assert.match(err.message, /^ledger busy: postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+\?lock_timeout=200 is locked by another writer; waited \d+ ms \(lock_timeout 200 ms\); nothing was written; retry$/);
    assert.ok(Date.now() - t0 < 5_000);
    release();
    await holding;
    await ledger.transaction(async (tx) => {
      await tx.put(record("acme/a"));
      await tx.appendAudit(audit("acme/a"));
    });
    await Promise.all([ledger.close(), holder.close()]);
  });

  it("statement_timeout from the URL cancels a long statement", async () => {
    const ledger = await PostgresLedger.open(`${await pg.createDatabase()}?statement_timeout=100`);
    const err = await rejects(ledger.sqlTransaction((db) => db.all("SELECT pg_sleep(2)")));
    assert.equal(err.code, "timeout");
    assert.match(err.message, /statement_timeout/);
    await ledger.close();
  });

  it("an unreachable server is an unavailable error naming the redacted URL; a missing database is a config error", async () => {
    const t0 = Date.now();
    const err = await rejects(openLedger("postgres://ops:hunter2@127.0.0.1:1/otterscale?connect_timeout=2"));
    assert.equal(err.code, "unavailable");
    assert.match(err.message, /cannot reach the PostgreSQL ledger at postgres:\/\/ops:\*\*\*@127\.0\.0\.1:1\/otterscale.*ECONNREFUSED.*check ledger_url/);
    assert.ok(!err.message.includes("hunter2"));
    assert.ok(Date.now() - t0 < 5_000);
    const missing = await rejects(openLedger(pg.url("no_such_db")));
    assert.equal(missing.code, "unreachable");
    assert.match(missing.message, /database "no_such_db" does not exist; create it first/);
  });

  describe("TLS", () => {
    const sslInUse = async (ledger: PostgresLedger) =>
      ledger.sqlTransaction(async (db) => (await db.all("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))[0].ssl);

    it("sslmode=verify-full with the server's CA connects over TLS; require encrypts too", async () => {
      assert.ok(pg.caFile, "the test server has TLS (needs the openssl CLI to make its certificates)");
      const url = await pg.createDatabase();
      const full = await PostgresLedger.open(`${url.replace("127.0.0.1", "localhost")}?sslmode=verify-full&sslrootcert=${pg.caFile}`);
      assert.equal(await sslInUse(full), true);
      await full.close();
      const req = await PostgresLedger.open(`${url}?sslmode=require`);
      assert.equal(await sslInUse(req), true);
      await req.close();
      const plain = await PostgresLedger.open(`${url}?sslmode=disable`);
      assert.equal(await sslInUse(plain), false);
      await plain.close();
    });

    it("sslmode=verify-full refuses a certificate that does not chain to a trusted CA", async () => {
      const url = await pg.createDatabase();
      const err = await rejects(openLedger(`${url}?sslmode=verify-full`));
      assert.equal(err.code, "unreachable");
      assert.match(err.message, /cannot reach the PostgreSQL ledger .*certificate/);
    });
  });
});
