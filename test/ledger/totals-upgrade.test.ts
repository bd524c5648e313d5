/**
 * Migration 3 (running totals, ledger/totals.ts) on a PostgreSQL ledger that other processes are
 * writing while it upgrades: a process started before the upgrade still writes rows under the
 * ledger's write lock. The totals filled from the rows plus the triggers must still count every
 * row, or a quota or a server's capacity is later oversubscribed by what the totals missed.
 */
import assert from "node:assert/strict";
import { Client } from "pg";
import { PostgresLedger } from "../../provider/src/ledger/postgres";
import { migrationsFor } from "../../provider/src/ledger/sql";
import { sharedPostgres, type PgServer } from "../support/postgres";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("running totals: upgrade while others write (PostgreSQL)", function () {
  this.timeout(60_000);
  let pg: PgServer;

  before(async () => {
    pg = await sharedPostgres();
  });

  it("a row written by a transaction open across the upgrade is counted", async () => {
    const url = await pg.createDatabase("upg", { ledger: false });
    const setup = new Client({ connectionString: url });
    await setup.connect();
    const writer = new Client({ connectionString: url });
    await writer.connect();
    let ledger: PostgresLedger | undefined;
    try {
      // A ledger at schema version 2 (before the totals), holding 1 core of acme in g.
      const [v1, v2] = migrationsFor("postgres");
      await setup.query(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2); ${v1} ${v2}`);
      await setup.query("INSERT INTO meta (k, v) VALUES ('ledger_id', 'x')");
      const row = (key: string, cpu: number) =>
        `INSERT INTO objects (kind, key, tenant, grp, spec, secrets, computed, state, c_cpu, c_vms, generation, created_at, updated_at) VALUES ('virtual_machine', '${key}', 'acme', 'g', '{}', '{}', '{}', 'active', ${cpu}, 1, 1, 1, 1)`;
      await setup.query(row("a", 1000));
      // A writer of the old version, mid-transaction when the upgrade starts (it holds the write lock, as every writer does).
      await writer.query("BEGIN; SELECT pg_advisory_xact_lock(1869902962, 1)");
      await writer.query(row("b", 2000));
      await writer.query("INSERT INTO allocations VALUES ('virtual_machine', 'b', 0, 's1', 2000, 10, 0, 0, NULL)");
      const opening = PostgresLedger.open(url);
      opening.catch(() => undefined); // awaited below; a failure must not be an unhandled rejection meanwhile
      await sleep(500); // the upgrade runs meanwhile, as far as it gets
      await writer.query("COMMIT");
      ledger = await opening;
      const [usage, load] = await ledger.read(async (tx) => [await tx.usage("acme", "g"), await tx.serverLoad(["s1"])] as const);
      assert.equal(usage.resources.cpu, 3000, "both rows are in acme's usage");
      assert.equal(usage.virtualMachines, 2);
      assert.equal(load.get("s1")?.allocated.cpu, 2000, "the allocation is in s1's load");
    } finally {
      await ledger?.close();
      await writer.end().catch(() => undefined);
      await setup.end().catch(() => undefined);
    }
  });
});
