/**
 * The PostgreSQL commit lane (ledger/pg-lane.ts) under contention: a group shares one BEGIN and
 * one lock wait, so no member may inherit another's deadline, and closing the ledger while the
 * lane is busy must neither hang nor leave a connection checked out.
 */
import assert from "node:assert/strict";
import { PostgresLedger } from "../../provider/src/ledger/postgres";
import { sharedPostgres, type PgServer } from "../support/postgres";
import { acmeBounds, auditEvent, ledgerRecord } from "../support/ledger";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("commit lane (PostgreSQL)", function () {
  this.timeout(60_000);
  let pg: PgServer;
  let a: PostgresLedger;
  let b: PostgresLedger;

  before(async () => {
    pg = await sharedPostgres();
  });

  beforeEach(async () => {
    const url = await pg.createDatabase("lane");
    a = await PostgresLedger.open(url, { create: true });
    b = await PostgresLedger.open(url);
    await a.transaction(async (tx) => {
      await tx.put(ledgerRecord("base"));
      await tx.appendAudit(auditEvent("base"));
    });
  });

  afterEach(async () => {
    await a.close();
    await b.close();
  });

  /** A speculative reservation of `key` on `on`, waiting for the lock until `deadline`. */
  function reserve(on: PostgresLedger, key: string, deadline?: number) {
    return on.transaction(
      async (tx) => {
        await tx.usage("acme", "g");
        tx.dependsOn?.(acmeBounds());
        await tx.put(ledgerRecord(key));
        await tx.appendAudit(auditEvent(key));
      },
      { speculative: true, ...(deadline === undefined ? {} : { deadline }) },
    );
  }

  /** Another writer holds the ledger's lock until the returned function is called. */
  async function holdLock() {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const holder = b.transaction(async (tx) => {
      await tx.get("virtual_machine", "base");
      await gate;
    });
    await sleep(100);
    return async () => {
      open();
      await holder;
    };
  }

  it("a member's short deadline does not time out the others of its group", async () => {
    const release = await holdLock();
    // The first goes out alone and waits at BEGIN; the next two gather behind it and leave as one group.
    const first = reserve(a, "vm-0", Date.now() + 150).then(() => "committed", (e: { code?: string }) => e.code);
    await sleep(30);
    const short = reserve(a, "vm-1", Date.now() + 250).then(() => "committed", (e: { code?: string }) => e.code);
    const patient = reserve(a, "vm-2").then(() => "committed", (e: { code?: string }) => e.code); // the URL's lock_timeout (30 s)
    await sleep(800);
    await release();
    assert.equal(await first, "busy");
    assert.equal(await short, "busy");
    assert.equal(await patient, "committed", "the patient member waited for its own deadline, not its group's");
    assert.ok(await b.read((tx) => tx.get("virtual_machine", "vm-2")));
  });

  it("an identity created by another writer after the speculation found it absent: read again and decided under the lock, not a raw unique violation", async () => {
    const alloc = (key: string) => [{ kind: "virtual_machine" as const, key, replica: 0, server: "s1", resources: { cpu: 1000, memory: 0, storage: 0, gpus: 0 }, gpuModel: null }];
    const create = async (tx: import("../../provider/src/ledger/records").LedgerTx, key: string) => {
      await tx.put(ledgerRecord(key));
      await tx.setAllocations("virtual_machine", key, alloc(key));
      await tx.appendAudit(auditEvent(key));
    };
    const runs: string[] = [];
    const outcome = await a.transaction(
      async (tx) => {
        const existing = await tx.get("virtual_machine", "vm-1");
        runs.push(existing ? "found" : "absent");
        if (existing) return "busy"; // what a reservation does with a row it finds
        await tx.usage("acme", "g");
        tx.dependsOn?.(acmeBounds());
        if (runs.length === 1) await b.transaction((t2) => create(t2, "vm-1")); // another process creates the same identity
        await create(tx, "vm-1");
        return "created";
      },
      { speculative: true },
    );
    // The speculation missed; the next one read the row and wrote nothing (a decision on unlocked
    // reads), so the locked run decided again.
    assert.deepEqual(runs, ["absent", "found", "found"]);
    assert.equal(outcome, "busy");
  });

  it("close() while the lane is busy finishes the queued commits and returns", async () => {
    const release = await holdLock();
    const first = reserve(a, "vm-0"); // waits for the lock on the lane
    await sleep(50);
    // A locked transaction on the write connection, behind the first in the lock's queue.
    const locked = a.transaction(async (tx) => {
      await tx.put(ledgerRecord("vm-l"));
      await tx.appendAudit(auditEvent("vm-l"));
    });
    await sleep(50);
    const queued = reserve(a, "vm-1"); // gathers behind the first
    await sleep(50);
    const closed = a.close();
    for (const p of [first, locked, queued, closed]) p.catch(() => undefined); // settled below
    await release();
    const outcomes = await Promise.allSettled([first, locked, queued]);
    assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "fulfilled", "fulfilled"], "what was sent before close() completes");
    const timer = sleep(10_000).then(() => "hung");
    assert.equal(await Promise.race([closed.then(() => "closed"), timer]), "closed", "close() returns once the lane is idle");
    const keys = await b.read(async (tx) => (await tx.list({ kinds: ["virtual_machine"] })).map((r) => r.key).sort());
    assert.deepEqual(keys, ["base", "vm-0", "vm-1", "vm-l"]);
  });
});
