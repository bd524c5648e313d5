/**
 * `otterscale ledger init` and `otterscale ledger id` through the real CLI, and the other side
 * of the rule: no other command creates a ledger. A configured ledger that does not exist is
 * exit 3 with a message naming it and how to create it, and leaves no file behind.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempHome } from "../support/estate";
import { cli, cliJson } from "./cli-harness";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("otterscale ledger init / ledger id", function () {
  this.timeout(60_000);
  let home: string;
  beforeEach(() => {
    home = tempHome("otterscale-cli-init-");
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it("init creates the ledger at --ledger-url (directories included) and prints it and its new id; id prints the same id", async () => {
    const file = path.join(home, "team", "ledger.db");
    const url = `sqlite://${file}`;
    const created = await cliJson<{ ledger: string; id: string; created: boolean }>(["ledger", "init", "--ledger-url", url], { home });
    assert.equal(created.ledger, url);
    assert.equal(created.created, true);
    assert.match(created.id, UUID);
    assert.ok(fs.existsSync(file));
    const id = await cli(["ledger", "id", "--ledger-url", url], { home });
    assert.equal(id.code, 0, id.stderr);
    assert.equal(id.stdout, `${created.id}\n`);
    assert.deepEqual(await cliJson(["ledger", "id", "--ledger-url", url], { home }), { ledger: url, id: created.id });
    // The ledger is usable at once: an empty estate.
    assert.deepEqual(await cliJson(["usage", "--ledger-url", url], { home }), { quotas: [] });
  });

  it("init of an existing ledger says so, exits 0 and changes nothing", async () => {
    const first = await cli(["ledger", "init"], { home });
    assert.equal(first.code, 0, first.stderr);
    const url = `sqlite://${path.join(home, "ledger.db")}`;
    const [line1, line2] = first.stdout.trim().split("\n");
    assert.equal(line1, `created ledger ${url}`);
    const id = /^ledger id (\S+)$/.exec(line2)![1];
    assert.match(id, UUID);
    const bytes = fs.readFileSync(path.join(home, "ledger.db"));
    const again = await cli(["ledger", "init"], { home });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `ledger ${url} already exists; left unchanged\nledger id ${id}\n`);
    assert.deepEqual(fs.readFileSync(path.join(home, "ledger.db")), bytes);
    assert.deepEqual(await cliJson(["ledger", "init"], { home }), { ledger: url, id, created: false });
  });

  it("no other command creates a ledger: a typo is exit 3 naming it and `otterscale ledger init`, and no file appears", async () => {
    await cli(["ledger", "init"], { home });
    const typo = `sqlite://${path.join(home, "ledgr.db")}`;
    const before = fs.readdirSync(home).sort();
    for (const args of [["usage"], ["inventory"], ["ledger", "id"], ["audit"]]) {
      const r = await cli([...args, "--ledger-url", typo], { home });
      assert.equal(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`no ledger at ${typo.replace(/[.]/g, "\\.")}: the file .*ledgr\\.db does not exist`));
      assert.match(r.stderr, new RegExp(`otterscale ledger init --ledger-url ${typo.replace(/[.]/g, "\\.")}`));
      assert.match(r.stderr, /OTTERSCALE_LEDGER_CREATE=1/);
    }
    assert.deepEqual(fs.readdirSync(home).sort(), before);
    // The default location is no exception for the CLI: a mistyped OTTERSCALE_HOME stays empty.
    const elsewhere = path.join(home, "not-there");
    const r = await cli(["usage"], { home: elsewhere });
    assert.equal(r.code, 3);
    assert.equal(fs.existsSync(elsewhere), false);
  });

  it("a PostgreSQL URL that cannot be reached is exit 3 and never prints the password", async () => {
    const r = await cli(["ledger", "init", "--ledger-url", "postgres://ops:s3cret@127.0.0.1:1/otterscale?connect_timeout=2"], { home });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot reach the PostgreSQL ledger at postgres:\/\/ops:\*\*\*@127\.0\.0\.1:1\/otterscale/);
    assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
  });
});
