/**
 * Every ledger has an id, and a typo never creates a ledger: opening without `create` refuses a
 * missing file (creating no file, directory, -wal or -shm), a file without a ledger, and a
 * PostgreSQL database without one (postgres.test.ts); only `create` (`otterscale ledger init`,
 * the embedded default location, OTTERSCALE_LEDGER_CREATE) makes one. Older ledgers get an id on
 * upgrade; `ledger migrate` carries the id to the target.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { copyLedger } from "../../provider/src/ledger/migrate";
import { defaultLedgerUrl, initLedger, openLedger, shouldCreate } from "../../provider/src/ledger/open";
import { MIGRATIONS, migrationsFor } from "../../provider/src/ledger/sql";
import { rejects, tempHome } from "../support/estate";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("ledger identity and creation (SQLite)", () => {
  const homes: string[] = [];
  const home = () => {
    const h = tempHome("otterscale-identity-");
    homes.push(h);
    return h;
  };
  after(() => homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true })));

  it("a created ledger has a random UUID that stays the same when reopened", async () => {
    const url = `sqlite://${path.join(home(), "nested", "dir", "ledger.db")}`;
    const a = await openLedger(url, { create: true });
    assert.match(a.id, UUID);
    await a.close();
    const again = await openLedger(url);
    assert.equal(again.id, a.id);
    await again.close();
    const other = await openLedger(`sqlite://${path.join(home(), "ledger.db")}`, { create: true });
    assert.notEqual(other.id, a.id);
    await other.close();
  });

  it("a missing file is refused, naming the URL and how to create it, and nothing is created", async () => {
    const dir = path.join(home(), "not", "there");
    const url = `sqlite://${path.join(dir, "ledgr.db")}`;
    const err = await rejects(openLedger(url));
    assert.equal(err.code, "unreachable");
    assert.ok(OtterscaleError.isInstance(err) && err.details.missing === true);
    assert.equal(
      err.message,
      `no ledger at ${url}: the file ${path.join(dir, "ledgr.db")} does not exist, so this ledger does not exist. ` +
        `Create it with \`otterscale ledger init --ledger-url ${url}\` or set OTTERSCALE_LEDGER_CREATE=1; ` +
        "or fix ledger_url / OTTERSCALE_LEDGER_URL / OTTERSCALE_HOME if it is a typo",
    );
    assert.equal(fs.existsSync(path.dirname(dir)), false, "no directory was created");
  });

  it("a missing file next to a real ledger: no file, -wal or -shm appears", async () => {
    const h = home();
    await (await openLedger(`sqlite://${path.join(h, "ledger.db")}`, { create: true })).close();
    const before = fs.readdirSync(h).sort();
    await rejects(openLedger(`sqlite://${path.join(h, "ledgr.db")}`));
    assert.deepEqual(fs.readdirSync(h).sort(), before);
    assert.ok(!before.some((f) => f.startsWith("ledgr")));
  });

  it("a file that holds no ledger is refused and left byte for byte as it was", async () => {
    const h = home();
    const empty = path.join(h, "empty.db");
    fs.writeFileSync(empty, "");
    const other = path.join(h, "other.db");
    const db = new DatabaseSync(other);
    db.exec("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine')");
    db.close();
    const bytes = fs.readFileSync(other);
    for (const file of [empty, other]) {
      const err = await rejects(openLedger(`sqlite://${file}`));
      assert.equal(err.code, "unreachable");
      assert.match(err.message, new RegExp(`^no ledger at sqlite://${file}: the file ${file} holds no ledger, so this ledger does not exist`));
    }
    assert.equal(fs.readFileSync(empty).length, 0);
    assert.deepEqual(fs.readFileSync(other), bytes);
    assert.deepEqual(fs.readdirSync(h).sort(), ["empty.db", "other.db"], "no -wal or -shm left behind");
    const garbage = path.join(h, "garbage.db");
    fs.writeFileSync(garbage, "this is not a database, and far too long to be mistaken for a header".repeat(20));
    const bad = await rejects(openLedger(`sqlite://${garbage}`));
    assert.equal(bad.code, "config");
    assert.match(bad.message, /^cannot open SQLite ledger .*garbage\.db: file is not a database/);
  });

  it("a ledger made before ids gets one on its next open, without create, and keeps it", async () => {
    const file = path.join(home(), "old.db");
    const db = new DatabaseSync(file);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1)");
    db.exec(migrationsFor("sqlite")[0]);
    db.close();
    const l = await openLedger(`sqlite://${file}`);
    assert.match(l.id, UUID);
    await l.close();
    const again = await openLedger(`sqlite://${file}`);
    assert.equal(again.id, l.id);
    await again.close();
    const check = new DatabaseSync(file);
    assert.deepEqual(check.prepare("SELECT k FROM meta ORDER BY k").all().map((r) => r.k), ["inventory_generation", "ledger_id"]);
    assert.deepEqual(check.prepare("SELECT version FROM schema_version").all().map((r) => r.version), [MIGRATIONS.length], "and the later migrations");
    check.close();
  });

  it("initLedger creates once, then reports the existing ledger unchanged", async () => {
    const url = `sqlite://${path.join(home(), "ledger.db")}`;
    const first = await initLedger(url);
    assert.equal(first.created, true);
    assert.match(first.id, UUID);
    assert.deepEqual(await initLedger(url), { url, id: first.id, created: false });
  });

  it("ledger migrate gives the target the source's id (the same ledger, moved)", async () => {
    const from = `sqlite://${path.join(home(), "ledger.db")}`;
    const to = `sqlite://${path.join(home(), "moved", "ledger.db")}`;
    const source = await openLedger(from, { create: true });
    const id = source.id;
    await source.close();
    await copyLedger(from, to);
    const target = await openLedger(to);
    assert.equal(target.id, id);
    await target.close();
    // The source must exist: migrate never creates it.
    const err = await rejects(copyLedger(`sqlite://${path.join(home(), "nope.db")}`, `sqlite://${path.join(home(), "t.db")}`));
    assert.match(err.message, /^no ledger at sqlite:\/\/.*nope\.db/);
  });

  it("shouldCreate: only the embedded default location, or OTTERSCALE_LEDGER_CREATE=1/true", () => {
    const h = "/home/me/.otterscale";
    const cases: [string, NodeJS.ProcessEnv, boolean][] = [
      [defaultLedgerUrl(h), {}, true],
      ["sqlite:///home/me/.otterscale/ledger.db", {}, true],
      ["sqlite:///home/me/.otterscale/ledgr.db", {}, false],
      ["sqlite:///home/me/.otterscal/ledger.db", {}, false],
      ["postgres://db/otterscale", {}, false],
      ["postgres://db/otterscale", { OTTERSCALE_LEDGER_CREATE: "1" }, true],
      ["sqlite:///x/ledgr.db", { OTTERSCALE_LEDGER_CREATE: "true" }, true],
      ["sqlite:///x/ledgr.db", { OTTERSCALE_LEDGER_CREATE: "TRUE" }, true],
      ["sqlite:///x/ledgr.db", { OTTERSCALE_LEDGER_CREATE: "0" }, false],
      ["sqlite:///x/ledgr.db", { OTTERSCALE_LEDGER_CREATE: "" }, false],
      ["sqlite:///x/ledgr.db", { OTTERSCALE_LEDGER_CREATE: "yes" }, false],
    ];
    for (const [url, env, want] of cases) assert.equal(shouldCreate(url, h, env), want, `${url} ${JSON.stringify(env)}`);
  });
});
