/**
 * Speculative write transactions on a real PostgreSQL server (ledger/speculation.ts): decided on
 * reads taken without the lock, committed as one message whose checks the server runs under the
 * lock. Each test makes another writer change what the speculation read, between its read and its
 * commit, and shows that it commits only when its declared bounds still hold, else reads again
 * and speculates anew (up to three speculations), then runs under the lock.
 */
import assert from "node:assert/strict";
import { Client } from "pg";
import { PostgresLedger } from "../../provider/src/ledger/postgres";
import { WriteStats } from "../../provider/src/ledger/pg-stats";
import type { LedgerTx } from "../../provider/src/ledger/records";
import { sharedPostgres, type PgServer } from "../support/postgres";
import { acmeBounds, auditEvent, ledgerRecord } from "../support/ledger";
import { tempHome, testEngine, seedEstate, vm } from "../support/estate";

describe("speculative write transactions (PostgreSQL)", function () {
  this.timeout(60_000);
  let pg: PgServer;
  let a: PostgresLedger;
  let b: PostgresLedger;
  let url: string;

  before(async () => {
    pg = await sharedPostgres();
  });

  beforeEach(async () => {
    url = await pg.createDatabase("spec");
    a = await PostgresLedger.open(url, { create: true });
    b = await PostgresLedger.open(url);
    a.stats = new WriteStats();
    await a.transaction(async (tx) => {
      await tx.put(ledgerRecord("base")); // 4 cores of acme in g
      await tx.appendAudit(auditEvent("base"));
    });
    a.stats = new WriteStats();
  });

  afterEach(async () => {
    await a.close();
    await b.close();
  });

  /**
   * A reservation of `key` that reads acme's usage, declares `atMost` (or the bound it computes
   * from the usage it read) and lets `meanwhile` write first (its first run only).
   */
  async function reserve(key: string, atMost: number | ((used: number) => number), meanwhile?: () => Promise<void>, also?: (tx: LedgerTx) => Promise<void>) {
    const seen: number[] = [];
    await a.transaction(
      async (tx) => {
        const used = (await tx.usage("acme", "g")).resources.cpu;
        seen.push(used);
        await also?.(tx);
        tx.dependsOn?.(acmeBounds(typeof atMost === "number" ? atMost : atMost(used)));
        if (seen.length === 1) await meanwhile?.();
        await tx.put(ledgerRecord(key));
        await tx.appendAudit(auditEvent(key));
      },
      { speculative: true },
    );
    return { seen, speculations: a.stats!.summary().speculations };
  }

  const another = (key: string) => () =>
    b.transaction(async (tx) => {
      await tx.put(ledgerRecord(key));
      await tx.appendAudit(auditEvent(key));
    });

  it("commits in one message when nothing else wrote", async () => {
    const r = await reserve("vm-1", 8000);
    assert.deepEqual(r.seen, [4000], "ran once");
    assert.deepEqual(r.speculations, { committed: 1 });
    assert.deepEqual(a.stats!.summary().modes, { lane: 1 }, "on the commit lane, not the write connection");
    assert.ok(await b.read((tx) => tx.get("virtual_machine", "vm-1")));
  });

  it("commits when another writer moved the usage but not past the bound", async () => {
    const r = await reserve("vm-1", 8000, another("other"));
    assert.deepEqual(r.seen, [4000]);
    assert.deepEqual(r.speculations, { committed: 1 });
    assert.equal((await b.read((tx) => tx.usage("acme", "g"))).resources.cpu, 12_000, "both reservations charged");
  });

  it("reads again and commits speculatively when another writer pushed the usage past the bound", async () => {
    // The bound is headroom over what was read, as a quota's is: the second speculation, on the new usage, holds.
    const r = await reserve("vm-1", (used) => used + 2000, another("other"));
    assert.deepEqual(r.seen, [4000, 8000], "the second speculation saw the other writer's charge");
    assert.deepEqual(r.speculations, { "missed: a check no longer held (usage)": 1, "committed on a retry": 1 });
    assert.deepEqual(a.stats!.summary().modes, { lane: 2 }, "never under the lock on the write connection");
    assert.equal((await b.read((tx) => tx.usage("acme", "g"))).resources.cpu, 12_000, "both reservations charged, once");
  });

  it("runs under the lock after three speculations missed", async () => {
    const r = await reserve("vm-1", 6000, another("other"));
    assert.deepEqual(r.seen, [4000, 8000, 8000, 8000], "three speculations, then the locked run");
    assert.deepEqual(r.speculations, { "missed: a check no longer held (usage)": 3 });
    assert.deepEqual(a.stats!.summary().modes, { lane: 3, exclusive: 1 });
  });

  it("runs again when a row it read changed, even if its bounds hold", async () => {
    const r = await reserve("vm-1", 1e9, async () => {
      await b.transaction(async (tx) => {
        const base = (await tx.get("virtual_machine", "base"))!;
        await tx.put({ ...base, generation: base.generation + 1, state: "updating" });
        await tx.appendAudit(auditEvent("base"));
      });
    }, async (tx) => void (await tx.get("virtual_machine", "base")));
    assert.equal(r.seen.length, 2);
    assert.deepEqual(r.speculations, { "missed: a check no longer held (row)": 1, "committed on a retry": 1 });
  });

  it("runs again when a row it found absent appeared", async () => {
    const r = await reserve("vm-1", 1e9, another("ghost"), async (tx) => void (await tx.get("virtual_machine", "ghost")));
    assert.equal(r.seen.length, 2);
    assert.deepEqual(r.speculations, { "missed: a check no longer held (row)": 1, "committed on a retry": 1 });
  });

  it("does not speculate on aggregates without declared bounds, nor on reads it cannot check", async () => {
    let runs = 0;
    await a.transaction(
      async (tx) => {
        runs++;
        await tx.usage("acme", "g"); // no dependsOn
        await tx.put(ledgerRecord("vm-1"));
        await tx.appendAudit(auditEvent("vm-1"));
      },
      { speculative: true },
    );
    assert.equal(runs, 2);
    await a.transaction(
      async (tx) => {
        runs++;
        await tx.list();
        await tx.put(ledgerRecord("vm-2"));
        await tx.appendAudit(auditEvent("vm-2"));
      },
      { speculative: true },
    );
    assert.equal(runs, 4);
    assert.deepEqual(a.stats!.summary().speculations, { "missed: aggregates read without declared bounds": 1, "missed: a list": 1 });
    assert.deepEqual(a.stats!.summary().modes, { exclusive: 2 }, "neither sent anything to the lane");
  });

  it("lists the inventory (covered by the inventory generation it read), and runs again when the inventory changed", async () => {
    const listing = (meanwhile?: () => Promise<void>) => {
      let runs = 0;
      return a
        .transaction(
          async (tx) => {
            runs++;
            await tx.inventoryGeneration();
            if (runs === 1) await meanwhile?.();
            await tx.list({ kinds: ["server", "baremetal_group"] });
            await tx.put(ledgerRecord(`vm-${runs}-${Math.random()}`));
            await tx.appendAudit(auditEvent("vm"));
          },
          { speculative: true },
        )
        .then(() => runs);
    };
    assert.equal(await listing(), 1);
    assert.deepEqual(a.stats!.summary().speculations, { committed: 1 });
    const addServer = () =>
      b.transaction(async (tx) => {
        await tx.put(ledgerRecord("s9", { kind: "server", tenant: null, grp: null }));
        await tx.appendAudit(auditEvent("s9", { kind: "server" }));
      });
    assert.equal(await listing(addServer), 2);
    assert.deepEqual(a.stats!.summary().speculations, { committed: 1, "missed: a check no longer held (inventory)": 1, "committed on a retry": 1 });
  });

  it("a refusal decided on unlocked reads is decided again under the lock", async () => {
    const runs: number[] = [];
    const attempt = a.transaction(
      async (tx) => {
        const used = (await tx.usage("acme", "g")).resources.cpu;
        runs.push(used);
        if (runs.length === 1) {
          // Another writer frees the quota after this run read it.
          await b.transaction(async (t2) => {
            await t2.remove("virtual_machine", "base");
            await t2.appendAudit(auditEvent("base", { op: "delete" }));
          });
        }
        if (used + 4000 > 4000) throw new Error("over quota");
        await tx.put(ledgerRecord("vm-1"));
        await tx.appendAudit(auditEvent("vm-1"));
      },
      { speculative: true },
    );
    await attempt;
    assert.deepEqual(runs, [4000, 0], "the locked run admitted it");
  });

  it("transactions ready together commit as one group; one failing check sends the others again without it", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Another writer holds the ledger's lock, so the first group waits at BEGIN and the rest gather behind it.
    const holder = b.transaction(async (tx) => {
      await tx.get("virtual_machine", "base");
      await gate;
    });
    await new Promise((r) => setTimeout(r, 100));
    const first = reserve("vm-0", 1e9);
    await new Promise((r) => setTimeout(r, 100));
    const group = [reserve("vm-1", 1e9), reserve("vm-2", 0 /* below the usage: its check fails */), reserve("vm-3", 1e9)];
    await new Promise((r) => setTimeout(r, 300));
    open();
    await Promise.all([holder, first, ...group]);
    assert.deepEqual(a.stats!.summary().speculations, { committed: 3, "missed: a check no longer held (usage)": 3 });
    assert.deepEqual(
      a.stats!.summary().modes,
      { lane: 6, exclusive: 1 },
      "one per speculation sent: vm-0, the three of the group, the failed one's two further speculations; then it ran under the lock",
    );
    const keys = await b.read(async (tx) => (await tx.list({ kinds: ["virtual_machine"] })).map((r) => r.key).sort());
    assert.deepEqual(keys, ["base", "vm-0", "vm-1", "vm-2", "vm-3"], "each committed once");
  });

  it("a pipelined connection the server closed is replaced before the next transaction uses it", async () => {
    await reserve("vm-0", 1e9); // opens the read and commit connections
    // Every connection to the ledger's database ends, as on a server restart or an idle timeout.
    const admin = new Client({ connectionString: pg.url("postgres") });
    await admin.connect();
    try {
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [new URL(url).pathname.slice(1)]);
    } finally {
      await admin.end();
    }
    await new Promise((r) => setTimeout(r, 300)); // the clients see their connections end
    const r = await reserve("vm-1", 1e9);
    assert.deepEqual(r.speculations, { committed: 2 }, "read and committed on fresh connections, without falling back");
  });

  it("an engine's VM create reserves and commits through the lane", async () => {
    const home = tempHome();
    const { engine } = await testEngine(home, "postgres", "handoff");
    try {
      await seedEstate(engine);
      const ledger = engine.ledger as PostgresLedger;
      await engine.create("virtual_machine", vm("warm"));
      ledger.stats = new WriteStats();
      await engine.create("virtual_machine", vm("web-1"));
      const s = ledger.stats.summary();
      assert.deepEqual(s.speculations, { committed: 2 }, "the reservation and the commit after the controller answered");
      assert.deepEqual(s.modes, { lane: 2 });
    } finally {
      await engine.close();
    }
  });
});
