/**
 * `serverLoad` for a list of servers longer than SQL can bind (SQLite takes 32,766 parameters, PostgreSQL 65,535):
 * the same loads as for a short list, on both backends.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { openLedger } from "../../provider/src/ledger/open";
import { MAX_LISTED_SERVERS } from "../../provider/src/ledger/sql";
import { BACKENDS, tempHome } from "../support/estate";
import { auditEvent } from "../support/ledger";
import { sharedPostgres } from "../support/postgres";

for (const backend of BACKENDS) {
  it(`serverLoad: a list of 70,000 servers gives what the listed ones hold (${backend})`, async function () {
    this.timeout(60_000);
    const ledger = await openLedger(backend === "postgres" ? await (await sharedPostgres()).createDatabase() : `sqlite://${path.join(tempHome("otterscale-load-"), "ledger.db")}`, { create: true });
    try {
      await ledger.transaction(async (tx) => {
        const at = (server: string, cpu: number, gpuModel: string | null = null) => ({ server, resources: { cpu, memory: 1000, storage: 0, gpus: gpuModel ? 1000 : 0 }, gpuModel });
        await tx.setAllocations("virtual_machine", "acme/a", [{ kind: "virtual_machine", key: "acme/a", replica: 0, ...at("s1", 2000, "a100") }]);
        await tx.setAllocations("virtual_machine", "acme/b", [{ kind: "virtual_machine", key: "acme/b", replica: 0, ...at("s1", 3000) }]);
        await tx.setAllocations("virtual_machine", "acme/c", [{ kind: "virtual_machine", key: "acme/c", replica: 0, ...at("unlisted", 5000) }]);
        await tx.appendAudit(auditEvent("acme/a"));
      });
      const many = ["s1", ...Array.from({ length: 70_000 }, (_, i) => `n${i}`)];
      assert.ok(many.length > MAX_LISTED_SERVERS);
      const [long, short] = await ledger.read(async (tx) => [await tx.serverLoad(many), await tx.serverLoad(["s1", "n0"])]);
      assert.deepEqual([...long], [...short]);
      // A reservation prefetches its group's loads (PostgreSQL): a group this large is left to serverLoad.
      const prefetched = await ledger.transaction(async (tx) => {
        await tx.prefetch?.({ rows: [["virtual_machine", "acme/a"]], servers: many });
        return tx.serverLoad(many);
      });
      assert.deepEqual([...prefetched], [...short]);
      assert.deepEqual([...long], [["s1", { allocated: { cpu: 5000, memory: 2000, storage: 0, gpus: 1000 }, gpuModels: { a100: 1000 } }]]);
    } finally {
      await ledger.close();
    }
  });
}
