/**
 * The commit after the controller answered finds its fence gone: another run took the row over
 * while the controller worked (a newer generation), or released it and reserved the identity
 * anew (the same generation, another owner: ABA). On PostgreSQL the commit does not read the
 * row first (LedgerTx.assumeHeld: the write itself names the generation and the owner), so these
 * prove the write-side check: the commit is refused, nothing of it is committed, and the other
 * run's row stays as it was. Both backends, same expectations.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { Engine } from "../../provider/src/engine/engine";
import { newRecord } from "../../provider/src/engine/records";
import { openControllers } from "../../provider/src/controllers/registry";
import type { Controllers } from "../../provider/src/controllers/types";
import { openLedger } from "../../provider/src/ledger/open";
import type { LedgerTx } from "../../provider/src/ledger/records";
import { BACKENDS, rejects, seedEstate, testEngine, vm } from "../support/estate";

/** Gitops controllers whose VM apply waits for `release` once `entered` says it started. */
function paused(home: string): { controllers: Controllers; entered: Promise<void>; release: () => void } {
  const inner = openControllers(`gitops://${path.join(home, "manifests")}`);
  let entered!: () => void;
  let release!: () => void;
  const enteredP = new Promise<void>((r) => (entered = r));
  const released = new Promise<void>((r) => (release = r));
  const controllers: Controllers = {
    url: inner.url,
    location: inner.location,
    forKind(kind) {
      const c = inner.forKind(kind);
      return {
        ...c,
        apply: async (obj, ctx) => {
          if (kind === "virtual_machine") {
            entered();
            await released;
          }
          return c.apply(obj, ctx);
        },
      };
    },
  };
  return { controllers, entered: enteredP, release };
}

const KEY = "acme/x";

for (const backend of BACKENDS) {
  describe(`a commit whose fence was lost while the controller worked (${backend})`, function () {
    this.timeout(60_000);

    async function race(takeOver: (tx: LedgerTx) => Promise<void>) {
      const { engine: seed, home, ledgerUrl } = await testEngine(undefined, backend);
      await seedEstate(seed, { servers: 2 });
      const { controllers, entered, release } = paused(home);
      const engine = new Engine(await openLedger(ledgerUrl), controllers, 60_000);
      const created = rejects(engine.create("virtual_machine", vm("x", { cpu_cores: 2 })));
      await entered;
      await seed.ledger.transaction(takeOver);
      release();
      const err = await created;
      const row = await seed.ledger.read((tx) => tx.get("virtual_machine", KEY));
      const ops = (await seed.ledger.audit()).filter((e) => e.key === KEY).map((e) => `${e.op} ${e.opId}`);
      await Promise.all([engine.close(), seed.close()]);
      return { err, row, ops };
    }

    it("taken over at a newer generation: the commit is refused and the other run's row stays", async () => {
      const { err, row, ops } = await race(async (tx) => {
        const cur = (await tx.get("virtual_machine", KEY))!;
        await tx.put({ ...cur, opId: "op-other", generation: cur.generation + 1, leaseExpires: Date.now() + 60_000 });
        await tx.appendAudit({ at: Date.now(), op: "test-takeover", kind: "virtual_machine", key: KEY, tenant: "acme", grp: "g", delta: {}, opId: "op-other" });
      });
      assert.equal(err.code, "conflict");
      assert.match(err.message, /settled by another run while the controller worked/);
      assert.deepEqual([row?.state, row?.opId, row?.generation], ["pending", "op-other", 2]);
      assert.equal(ops.filter((o) => o.startsWith("commit ")).length, 0, `no commit in the audit trail: ${ops.join(", ")}`);
    });

    it("released and reserved anew at the same generation by another run (ABA): the commit is refused", async () => {
      const { err, row, ops } = await race(async (tx) => {
        const cur = (await tx.get("virtual_machine", KEY))!;
        await tx.remove("virtual_machine", KEY);
        await tx.put(newRecord({ kind: "virtual_machine", key: KEY, spec: cur.spec, digests: cur.secrets, state: "pending", charge: cur.charge, opId: "op-other", leaseExpires: Date.now() + 60_000, now: Date.now() }));
        await tx.appendAudit({ at: Date.now(), op: "test-rereserve", kind: "virtual_machine", key: KEY, tenant: "acme", grp: "g", delta: {}, opId: "op-other" });
      });
      assert.equal(err.code, "conflict");
      assert.match(err.message, /settled by another run while the controller worked/);
      assert.deepEqual([row?.state, row?.opId, row?.generation], ["pending", "op-other", 1]);
      assert.equal(ops.filter((o) => o.startsWith("commit ")).length, 0, `no commit in the audit trail: ${ops.join(", ")}`);
    });
  });
}
