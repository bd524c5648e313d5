/**
 * `otterscale ledger check` through the real CLI, on both backends: the usage and load totals the
 * ledger keeps (ledger/totals.ts) against the sums of its rows. Consistent: exit 0. A total that
 * drifted (here changed behind the ledger's back): exit 2 naming it, kept and summed values. Reads
 * only: the audit log and the totals are the same afterwards.
 */
import { strict as assert } from "node:assert";
import { DatabaseSync } from "node:sqlite";
import { Client } from "pg";
import { BACKENDS, ledgerUrlFor, seedEstate, tempHome, testEngine, vm } from "../support/estate";
import { cli, cliJson } from "./cli-harness";

/** Runs `sql` on the ledger's database directly (as a bug or a hand edit would). */
async function tamper(url: string, sql: string): Promise<void> {
  if (url.startsWith("sqlite://")) {
    const db = new DatabaseSync(url.slice("sqlite://".length));
    db.exec(sql);
    db.close();
    return;
  }
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe("otterscale ledger check", function () {
  this.timeout(60_000);

  for (const backend of BACKENDS) {
    it(`exit 0 when the totals equal the rows' sums, exit 2 naming a drifted total; writes nothing (${backend})`, async () => {
      const home = tempHome("otterscale-cli-check-");
      const url = await ledgerUrlFor(home, backend);
      const { engine } = await testEngine(home, backend, "handoff");
      try {
        await seedEstate(engine);
        await engine.create("virtual_machine", vm("web-1"));
        await engine.create("virtual_machine", vm("web-2"));
        await engine.delete("virtual_machine", "acme/web-2");
      } finally {
        await engine.close();
      }
      const ok = await cli(["ledger", "check", "--ledger-url", url], { home });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /usage and load totals equal the sums of its rows/);

      await tamper(url, "UPDATE usage_totals SET cpu = cpu + 500; UPDATE server_loads SET n = n + 1");
      const auditBefore = await cliJson<unknown[]>(["audit", "--ledger-url", url], { home });
      const bad = await cli(["ledger", "check", "--ledger-url", url], { home });
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stdout, /total\(s\) differ from the sums of the rows/);
      assert.match(bad.stdout, /usage of acme\/\S+: cpu kept \d+, rows \d+/);
      assert.match(bad.stdout, /load of \S+: n kept \d+, rows \d+/);
      const json = await cliJson<{ consistent: boolean; drift: string[] }>(["ledger", "check", "--ledger-url", url], { home }, 2);
      assert.equal(json.consistent, false);
      assert.ok(json.drift.length >= 2);
      assert.deepEqual(await cliJson(["audit", "--ledger-url", url], { home }), auditBefore, "a check appends nothing");
    });
  }
});
