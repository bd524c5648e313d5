/**
 * Every ledger mutation appends an audit event: counted, not assumed. The engine runs over a
 * ledger wrapper that counts the write transactions that changed a row (put, remove,
 * setAllocations, renewLease); a workload that walks every write path — create, re-apply,
 * update, failed update, delete, failed delete, timeout with a late controller answer, lease
 * renewal, stale reservation settled, missing released, orphan removed — must leave exactly as
 * many new audit events as mutating transactions.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Engine } from "../../provider/src/engine/engine";
import { openControllers } from "../../provider/src/controllers/registry";
import { openLedger } from "../../provider/src/ledger/open";
import type { Ledger, LedgerTx } from "../../provider/src/ledger/records";
import type { Controllers } from "../../provider/src/controllers/types";
import { reserveCreate } from "../../provider/src/engine/reserve";
import { InventoryCache } from "../../provider/src/engine/inventory";
import { faultyControllers, ledgerUrlFor, rejects, seedEstate, testEngine, vm } from "../support/estate";

const MUTATORS = new Set(["put", "remove", "setAllocations", "renewLease"]);

/** The ledger, counting write transactions that mutated something. */
function counting(inner: Ledger): { ledger: Ledger; writes: () => number } {
  let writes = 0;
  const ledger: Ledger = {
    get url() {
      return inner.url;
    },
    get id() {
      return inner.id;
    },
    read: (fn) => inner.read(fn),
    audit: (since, limit) => inner.audit(since, limit),
    close: () => inner.close(),
    transaction: (fn, opts) =>
      inner.transaction(async (tx) => {
        let mutated = false;
        const spy = new Proxy(tx, {
          get(target, prop, receiver) {
            const v = Reflect.get(target, prop, receiver) as unknown;
            if (typeof v !== "function") return v;
            return async (...args: unknown[]) => {
              const result = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              // A lease renewal that changed nothing (the lease had expired) is no write.
              if (MUTATORS.has(String(prop)) && !(prop === "renewLease" && result === false)) mutated = true;
              return result;
            };
          },
        }) as LedgerTx;
        const result = await fn(spy);
        if (mutated) writes++;
        return result;
      }, opts),
  };
  return { ledger, writes: () => writes };
}

describe("audit: one event per ledger write, on every write path", function () {
  this.timeout(60_000);

  it("the audit count equals the number of mutating ledger transactions", async () => {
    const { engine: seed, home } = await testEngine();
    await seedEstate(seed, { quota: { cpu_cores: 64 } });
    await seed.create("virtual_machine", vm("stale", { cpu_cores: 1 }));
    await seed.close();

    let mode: "ok" | "fail" | "slow" = "ok";
    const inner = await openLedger(await ledgerUrlFor(home));
    const { ledger, writes } = counting(inner);
    // A backend that ignores deadlines and stop requests (so a stopped create is answered late).
    const gitops = openControllers(`gitops://${path.join(home, "manifests")}`);
    const deaf: Controllers = {
      url: gitops.url,
      location: gitops.location,
      forKind(kind) {
        const c = gitops.forKind(kind);
        return { apply: (o) => c.apply(o), get: (k) => c.get(k), delete: (k) => c.delete(k), list: () => c.list(), listOwned: () => c.listOwned!() };
      },
    };
    const controllers = faultyControllers(deaf, async (op, kind) => {
      if (kind !== "virtual_machine" || op === "get") return;
      if (mode === "fail") throw new Error("kubevirt is down");
      if (mode === "slow") await new Promise((r) => setTimeout(r, 900));
    });
    const engine = new Engine(ledger, controllers, 300); // a 300 ms lease: renewed every 100 ms while slow calls run
    const before = (await inner.audit()).length;

    // A reservation abandoned by a crashed run (lease already expired): settled by the first mutation.
    await ledger.transaction(async (tx) => {
      const v = engine.validate("virtual_machine", vm("ghost"));
      const rec = await reserveCreate({ tx, inv: await new InventoryCache().load(tx) }, "virtual_machine", v, "op-crashed", Date.now() - 5_000, Date.now() - 1_000);
      return rec;
    });
    await engine.create("virtual_machine", vm("a", { cpu_cores: 2 }));
    await engine.create("virtual_machine", vm("a", { cpu_cores: 2 })); // idempotent re-apply
    await engine.update("virtual_machine", "acme/a", vm("a", { cpu_cores: 4 }));
    mode = "fail";
    await rejects(engine.update("virtual_machine", "acme/a", vm("a", { cpu_cores: 6 })));
    await rejects(engine.create("virtual_machine", vm("b")));
    await rejects(engine.delete("virtual_machine", "acme/a"));
    mode = "slow";
    await engine.create("virtual_machine", vm("c")); // the lease is renewed while it runs
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    await rejects(engine.create("virtual_machine", vm("d"), { signal: stop.signal })); // stopped; the backend answers late, which is undone
    await engine.idle();
    mode = "ok";
    await engine.delete("virtual_machine", "acme/c");
    // Missing on the backend, and a backend object with no row: both settled by reconcile.
    fs.rmSync(path.join(home, "manifests", "acme", "virtual_machine", "stale.yaml"));
    const dir = path.join(home, "manifests", "acme", "virtual_machine");
    fs.writeFileSync(path.join(dir, "stray.yaml"), fs.readFileSync(path.join(dir, "a.yaml"), "utf8").replaceAll("name: a", "name: stray"));
    const found = await engine.reconcileBackend(true);
    assert.deepEqual(found.map((f) => `${f.finding} ${f.key} ${f.applied}`).sort(), ["missing acme/stale true", "orphan acme/stray true"]);

    const events = (await inner.audit()).slice(before);
    const ops = new Set(events.map((e) => e.op));
    for (const op of ["reconcile-release", "reserve", "commit", "reapply", "update", "rollback-observed", "release", "delete-start", "delete-failed", "renew-lease", "undo-late-create", "delete", "release-missing", "remove-orphan"]) {
      assert.ok(ops.has(op), `the workload walked the ${op} path (${[...ops].join(", ")})`);
    }
    assert.equal(events.length, writes(), `${writes()} mutating transactions, ${events.length} audit events`);
    await engine.close();
  });
});
