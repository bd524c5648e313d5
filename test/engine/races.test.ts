/**
 * Two workspaces racing on one ledger (two engines, two ledger connections): an idempotent create
 * of an existing VM (a retry, or a second declaration) against a delete, and against a shrink.
 * Every backend write is fenced by the object's row and the loser retries (bounded), so whatever
 * order the race takes, each VM manifest ends with exactly one ledger row of the same size, and
 * reconcile finds nothing.
 */
import assert from "node:assert/strict";
import { openEngine } from "../../provider/src/api";
import type { Engine } from "../../provider/src/engine/engine";
import { BACKENDS, controllerUrlFor, filesBesidesLedger, ledgerUrlFor, seedEstate, tempHome, testEngine, vm, type ControllerKind } from "../support/estate";

const ROUNDS = 50;

/**
 * Every VM on the backend has one active row of the same size; every VM row has its object. With
 * hand-off the objects are the `manifests` the engine returns (nothing is on any backend): each
 * row's VM object says what the row records, and nothing was written to disk.
 */
async function assertLedgerIsTruth(engine: Engine, controller: ControllerKind, home: string): Promise<void> {
  const rows = await engine.ledger.read((tx) => tx.list({ kinds: ["virtual_machine"] }));
  assert.deepEqual(rows.filter((r) => r.state !== "active").map((r) => `${r.key} ${r.state}`), [], "nothing left in flight");
  if (controller === "gitops") {
    const keys = await engine.controllers.forKind("virtual_machine").list();
    assert.deepEqual(rows.map((r) => r.key).sort(), [...keys].sort(), "a ledger row for every manifest, a manifest for every row");
  } else assert.deepEqual(filesBesidesLedger(home), [], "hand-off writes nothing to disk");
  for (const r of rows) {
    const cores =
      controller === "gitops"
        ? (await engine.controllers.forKind("virtual_machine").get(r.key))!.fields.cpu_cores
        : JSON.parse(((await engine.read("virtual_machine", r.key))!.manifests as string[])[0]).spec.template.spec.domain.cpu.cores;
    assert.equal(cores, r.spec.cpu_cores, `${r.key}: the manifest runs what the ledger records`);
    assert.equal(r.charge.resources.cpu, Number(r.spec.cpu_cores) * 1000, `${r.key}: the ledger charges what it records`);
  }
  assert.deepEqual(await engine.reconcileBackend(false), [], "reconcile finds nothing");
}

for (const backend of BACKENDS) for (const controller of ["gitops", "handoff"] as const) {
  describe(`races between two workspaces on one ledger (${backend}, ${controller})`, function () {
    this.timeout(180_000);
    let a: Engine;
    let b: Engine;
    let home: string;

    beforeEach(async () => {
      home = tempHome();
      ({ engine: a } = await testEngine(home, backend, controller));
      await seedEstate(a, { servers: 2 });
      b = await openEngine(await urlsOf(home, controller));
    });
    afterEach(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it(`create || delete, ${ROUNDS} rounds: both succeed, and the manifest and its row go or stay together`, async () => {
      const outcomes = { kept: 0, gone: 0 };
      for (let i = 0; i < ROUNDS; i++) {
        const spec = vm(`r${i}`, { cpu_cores: 2 });
        await a.create("virtual_machine", spec);
        const [created, deleted] = await Promise.allSettled([b.create("virtual_machine", spec), a.delete("virtual_machine", `acme/r${i}`)]);
        assert.equal(created.status, "fulfilled", created.status === "rejected" ? String(created.reason) : "");
        assert.equal(deleted.status, "fulfilled", deleted.status === "rejected" ? String(deleted.reason) : "");
        const row = await a.ledger.read((tx) => tx.get("virtual_machine", `acme/r${i}`));
        outcomes[row ? "kept" : "gone"]++;
        await assertLedgerIsTruth(a, controller, home);
        if (row) await a.delete("virtual_machine", `acme/r${i}`); // room for the next round
      }
      // Either order is legitimate; what matters is that each ended consistent.
      assert.equal(outcomes.kept + outcomes.gone, ROUNDS);
    });

    it(`create || shrink 8 -> 1, ${ROUNDS} rounds: the manifest says what the ledger charges`, async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const big = vm(`s${i}`, { cpu_cores: 8 });
        await a.create("virtual_machine", big);
        const [created, shrunk] = await Promise.allSettled([b.create("virtual_machine", big), a.update("virtual_machine", `acme/s${i}`, vm(`s${i}`, { cpu_cores: 1 }))]);
        assert.equal(shrunk.status, "fulfilled", shrunk.status === "rejected" ? String(shrunk.reason) : "");
        // The create either re-applied 8 before the shrink, or found 1 and was refused clearly.
        if (created.status === "rejected") assert.match(String(created.reason), /already exists with a different configuration/);
        await assertLedgerIsTruth(a, controller, home);
        const row = (await a.ledger.read((tx) => tx.get("virtual_machine", `acme/s${i}`)))!;
        assert.equal(row.spec.cpu_cores, 1, "the shrink, which came last or alone, stands");
        await a.delete("virtual_machine", `acme/s${i}`);
      }
    });
  });
}

/** The ledger and controller URLs a test home uses (both engines share them). */
async function urlsOf(home: string, controller: ControllerKind): Promise<{ ledgerUrl: string; controllerUrl: string; home: string }> {
  return { home, ledgerUrl: await ledgerUrlFor(home), controllerUrl: controllerUrlFor(home, controller) };
}
