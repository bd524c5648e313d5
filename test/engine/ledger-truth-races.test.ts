/**
 * Races an independent review found in the ledger-truth work, each replayed with controllers
 * that pause at the worst moment. In every case the promise must hold: what the ledger charges
 * is exactly what runs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Engine } from "../../provider/src/engine/engine";
import { openControllers } from "../../provider/src/controllers/registry";
import type { Controllers, KindController } from "../../provider/src/controllers/types";
import { openLedger } from "../../provider/src/ledger/open";
import { newRecord } from "../../provider/src/engine/records";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { ledgerUrlFor, manifests, seedEstate, testEngine, vm } from "../support/estate";

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

interface Hooks {
  list?: (k: ResourceKind) => Promise<void>;
  get?: (k: ResourceKind, key: string) => Promise<void>;
  apply?: (k: ResourceKind, key: string) => Promise<void>;
  afterApply?: (k: ResourceKind, key: string) => void;
  delete?: (k: ResourceKind, key: string) => Promise<void>;
}

function hooked(inner: Controllers, hook: Hooks): Controllers {
  return {
    url: inner.url,
    location: inner.location,
    forKind(kind): KindController {
      const c = inner.forKind(kind);
      return {
        apply: async (obj, ctx) => {
          await hook.apply?.(kind, obj.key);
          const r = await c.apply(obj, ctx);
          hook.afterApply?.(kind, obj.key);
          return r;
        },
        get: async (key, ctx) => {
          await hook.get?.(kind, key);
          return c.get(key, ctx);
        },
        delete: async (key, ctx) => {
          await hook.delete?.(kind, key);
          return c.delete(key, ctx);
        },
        list: async (ctx) => {
          const keys = await c.list(ctx);
          await hook.list?.(kind);
          return keys;
        },
        ...(c.listOwned ? { listOwned: (ctx) => c.listOwned!(ctx) } : {}),
      };
    },
  };
}

async function engineOn(home: string, hooks: Hooks, leaseMs = 60_000): Promise<Engine> {
  return new Engine(await openLedger(await ledgerUrlFor(home)), hooked(openControllers(`gitops://${path.join(home, "manifests")}`), hooks), leaseMs);
}

describe("ledger truth under races (review regressions)", function () {
  this.timeout(60_000);

  it("reconcile --apply racing a create keeps the new VM's row (missing is judged on rows read before the listing)", async () => {
    const { engine: a, home } = await testEngine();
    await seedEstate(a, { servers: 2 });
    const listed = gate();
    const go = gate();
    const r = await engineOn(home, {
      list: async (k) => {
        if (k !== "virtual_machine") return;
        listed.open();
        await go.p;
      },
    });
    const rec = r.reconcileBackend(true);
    await listed.p;
    await a.create("virtual_machine", vm("fresh", { cpu_cores: 2 }));
    go.open();
    const findings = await rec;
    const row = await a.ledger.read((tx) => tx.get("virtual_machine", "acme/fresh"));
    await Promise.all([a.close(), r.close()]);
    assert.ok(row, `the running VM lost its row: ${JSON.stringify(findings)}`);
  });

  it("a stale-row settlement never settles a live reservation that re-used the identity (generation ABA)", async () => {
    const { engine: c, home } = await testEngine();
    await seedEstate(c, { servers: 2 });
    const spec = c.validate("virtual_machine", vm("x", { cpu_cores: 2 }));
    await c.ledger.transaction(async (tx) => {
      await tx.put(newRecord({ kind: "virtual_machine", key: spec.key, spec: spec.clean, digests: spec.digests, state: "pending", opId: "op-crashed", leaseExpires: Date.now() - 120_000, now: Date.now() - 180_000 }));
      await tx.appendAudit({ at: Date.now(), op: "reserve", kind: "virtual_machine", key: spec.key, tenant: "acme", grp: "g", delta: {}, opId: "op-crashed" });
    });
    const aRead = gate();
    const aGo = gate();
    const A = await engineOn(home, {
      get: async (kind) => {
        if (kind === "virtual_machine") {
          aRead.open();
          await aGo.p;
        }
      },
    });
    const reconciled = A.reconcile(undefined, true);
    await aRead.p;
    const bApplying = gate();
    const bGo = gate();
    const B = await engineOn(home, {
      apply: async (kind) => {
        if (kind === "virtual_machine") {
          bApplying.open();
          await bGo.p;
        }
      },
    });
    const created = B.create("virtual_machine", vm("x", { cpu_cores: 2 })).then(
      () => "ok",
      (e: Error) => e.message,
    );
    await bApplying.p;
    aGo.open();
    await reconciled;
    await c.create("virtual_machine", vm("x", { cpu_cores: 8 })).catch(() => undefined);
    bGo.open();
    const b = await created;
    const row = await c.ledger.read((tx) => tx.get("virtual_machine", "acme/x"));
    const obs = await c.controllers.forKind("virtual_machine").get("acme/x");
    await Promise.all([A.close(), B.close(), c.close()]);
    assert.equal(obs?.fields.cpu_cores, row?.spec.cpu_cores, `manifest vs ledger (B: ${b})`);
  });

  it("a create whose controller wrote and then failed leaves no uncharged object", async () => {
    const { engine: a, home } = await testEngine();
    await seedEstate(a, { servers: 2 });
    const E = await engineOn(home, {
      afterApply: (kind) => {
        if (kind === "virtual_machine") throw new Error("etcdserver: request timed out");
      },
    });
    const msg = await E.create("virtual_machine", vm("lost", { cpu_cores: 4 })).then(
      () => "ok",
      (e: Error) => e.message,
    );
    const row = await a.ledger.read((tx) => tx.get("virtual_machine", "acme/lost"));
    const runs = manifests(home, "virtual_machine").some((f) => f.includes("lost"));
    await Promise.all([a.close(), E.close()]);
    assert.equal(runs, row !== undefined, msg);
  });

  it("an orphan removal slower than the lease does not delete a newer, charged object", async () => {
    const { engine: a, home } = await testEngine();
    await seedEstate(a, { servers: 2 });
    await a.create("virtual_machine", vm("o", { cpu_cores: 2 }));
    await a.ledger.transaction(async (tx) => {
      await tx.remove("virtual_machine", "acme/o");
      await tx.appendAudit({ at: Date.now(), op: "test-drop-row", kind: "virtual_machine", key: "acme/o", tenant: "acme", grp: "g", delta: {}, opId: null });
    });
    const deleting = gate();
    const go = gate();
    const R = await engineOn(
      home,
      {
        delete: async (kind) => {
          if (kind === "virtual_machine") {
            deleting.open();
            await go.p;
          }
        },
      },
      300,
    );
    const rec = R.reconcileBackend(true);
    await deleting.p;
    await new Promise((r) => setTimeout(r, 500)); // past the 300 ms lease: renewed meanwhile
    const late = await a.create("virtual_machine", vm("o", { cpu_cores: 4 }), { timeoutMs: 300 }).then(
      () => "created",
      (e: Error) => e.message,
    );
    go.open();
    await rec;
    const row = await a.ledger.read((tx) => tx.get("virtual_machine", "acme/o"));
    const files = manifests(home, "virtual_machine");
    await Promise.all([a.close(), R.close()]);
    assert.equal(files.some((f) => f.includes("/o.")), row !== undefined, late);
  });

  it("an unmarked location holding only another estate's objects is refused", async () => {
    const { engine: mine, ledgerUrl } = await testEngine();
    await seedEstate(mine, { servers: 2 });
    await mine.create("virtual_machine", vm("ours"));
    await mine.close();
    // Another estate with its own names (one whose every name matched ours could not be told
    // apart from ours by what it holds; the ownership marker tells them apart once written).
    const { engine: theirs, home: h2 } = await testEngine();
    await theirs.create("server", { name: "t1", cpu_cores: 8, memory_gib: 8, storage_gib: 100 });
    await theirs.create("baremetal_group", { name: "tg", servers: ["t1"] });
    await theirs.create("tenant_quota", { tenant: "globex", group: "tg", cpu_cores: 8 });
    await theirs.create("virtual_machine", vm("theirs", { tenant: "globex", group: "tg" }));
    await theirs.close();
    fs.rmSync(path.join(h2, "manifests", ".otterscale-ledger"));
    const wrong = new Engine(await openLedger(ledgerUrl), openControllers(`gitops://${path.join(h2, "manifests")}`), 60_000);
    const out = await wrong.reconcileBackend(false).then(
      (f) => `accepted: ${JSON.stringify(f)}`,
      (e: Error) => `refused: ${e.message}`,
    );
    await wrong.close();
    assert.match(out, /^refused: controller location .* holds objects, but none of the \d+ that ledger/, out);
  });
});
