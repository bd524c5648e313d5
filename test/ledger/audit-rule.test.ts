/**
 * Every ledger mutation is audited, enforced once (sql-tx.ts) for both backends: a transaction
 * that changed rows without appending an audit event is refused and rolled back. Lease renewal
 * is such a mutation, owned by one operation, and leaves the generation (the fence token) alone.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { openLedger } from "../../provider/src/ledger/open";
import type { Ledger } from "../../provider/src/ledger/records";
import type { RawWriter } from "../../provider/src/ledger/sql-tx";
import { BACKENDS, rejects, tempHome, type Backend } from "../support/estate";
import { auditEvent, ledgerRecord } from "../support/ledger";
import { sharedPostgres } from "../support/postgres";

/** A pending reservation owned by op-1 with a lease until t=1000. */
const record = (key: string) => ledgerRecord(key, { state: "pending", opId: "op-1", leaseExpires: 1_000 });
const event = (key: string, op = "reserve") => auditEvent(key, { op, opId: "op-1" });
const REFUSED = /^ledger transaction refused: it changed \d+ row\(s\) but appended no audit event \(every ledger mutation must be audited\); it was rolled back$/;

async function newLedger(backend: Backend, homes: string[]): Promise<Ledger> {
  if (backend === "postgres") return openLedger(await (await sharedPostgres()).createDatabase());
  const home = tempHome("otterscale-audit-");
  homes.push(home);
  return openLedger(`sqlite://${path.join(home, "ledger.db")}`, { create: true });
}

for (const backend of BACKENDS) {
  describe(`every mutation is audited (${backend})`, function () {
    this.timeout(30_000);
    const homes: string[] = [];
    let ledger: Ledger;
    beforeEach(async () => {
      ledger = await newLedger(backend, homes);
    });
    afterEach(() => ledger.close());
    after(() => homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true })));

    it("a put without an audit event is refused (a plain Error: a bug, not a user error) and nothing is written", async () => {
      const err: unknown = await rejects(ledger.transaction((tx) => tx.put(record("acme/a"))));
      assert.ok(err instanceof Error && !("code" in err), "a programming error, not a domain error");
      assert.match(err.message, REFUSED);
      assert.equal(await ledger.read((tx) => tx.get("virtual_machine", "acme/a")), undefined);
      assert.deepEqual(await ledger.audit(), []);
    });

    it("setAllocations and remove without an audit event are refused too; audited, they commit", async () => {
      const alloc = { kind: "virtual_machine" as const, key: "acme/a", replica: 0, server: "s1", resources: { cpu: 1000, memory: 0, storage: 0, gpus: 0 }, gpuModel: null };
      await ledger.transaction(async (tx) => {
        await tx.put(record("acme/a"));
        await tx.appendAudit(event("acme/a"));
      });
      assert.match((await rejects(ledger.transaction((tx) => tx.setAllocations("virtual_machine", "acme/a", [alloc])))).message, REFUSED);
      assert.match((await rejects(ledger.transaction((tx) => tx.remove("virtual_machine", "acme/a")))).message, REFUSED);
      assert.ok(await ledger.read((tx) => tx.get("virtual_machine", "acme/a")));
      assert.deepEqual(await ledger.read((tx) => tx.allocations()), []);
      // Reads, and writes that change nothing, need no event.
      assert.deepEqual(await ledger.transaction((tx) => tx.list({ kinds: ["server"] })), []);
      await ledger.transaction((tx) => tx.remove("virtual_machine", "acme/none"));
      await ledger.transaction(async (tx) => {
        await tx.remove("virtual_machine", "acme/a");
        await tx.appendAudit(event("acme/a", "delete"));
      });
      assert.deepEqual((await ledger.audit()).map((e) => e.op), ["reserve", "delete"]);
    });

    it("renewLease: only the owning operation extends a live lease, the generation stays, it must be audited, and an expired lease is never revived", async () => {
      const live = Date.now() + 60_000;
      await ledger.transaction(async (tx) => {
        await tx.put(ledgerRecord("acme/a", { state: "pending", opId: "op-1", leaseExpires: live }));
        await tx.appendAudit(event("acme/a"));
      });
      const later = Date.now() + 120_000;
      assert.match((await rejects(ledger.transaction((tx) => tx.renewLease("virtual_machine", "acme/a", "op-1", later)))).message, REFUSED);
      assert.equal((await ledger.read((tx) => tx.get("virtual_machine", "acme/a")))!.leaseExpires, live);
      const renewed = await ledger.transaction(async (tx) => {
        const ok = await tx.renewLease("virtual_machine", "acme/a", "op-1", later);
        await tx.appendAudit(event("acme/a", "lease-renew"));
        return ok;
      });
      assert.equal(renewed, true);
      const row = (await ledger.read((tx) => tx.get("virtual_machine", "acme/a")))!;
      assert.deepEqual([row.leaseExpires, row.generation, row.opId], [later, 1, "op-1"]);
      // Another operation (or a missing row) renews nothing; changing nothing needs no event.
      assert.equal(await ledger.transaction((tx) => tx.renewLease("virtual_machine", "acme/a", "op-2", later + 1)), false);
      assert.equal(await ledger.transaction((tx) => tx.renewLease("virtual_machine", "acme/zz", "op-1", later + 1)), false);
      assert.equal((await ledger.read((tx) => tx.get("virtual_machine", "acme/a")))!.leaseExpires, later);
      // Expired: another run may already be settling the row, so its owner cannot revive it.
      await ledger.transaction(async (tx) => {
        await tx.put(ledgerRecord("acme/b", { state: "pending", opId: "op-3", leaseExpires: 1_000 }));
        await tx.appendAudit(event("acme/b"));
      });
      assert.equal(await ledger.transaction((tx) => tx.renewLease("virtual_machine", "acme/b", "op-3", later)), false);
      assert.equal((await ledger.read((tx) => tx.get("virtual_machine", "acme/b")))!.leaseExpires, 1_000);
    });

    it("ledger migrate's raw transaction is exempt (it copies audit rows itself)", async () => {
      const raw = ledger as Ledger & RawWriter;
      await raw.sqlTransaction((db) => db.run("UPDATE meta SET v = '7' WHERE k = 'inventory_generation'"));
      assert.equal(await ledger.read((tx) => tx.inventoryGeneration()), 7);
    });
  });
}
