/**
 * The review rulebook's pieces on their own: the session judges concurrent changes in the
 * rulebook's order whatever order they arrive in, keeps only accepted ones, and narrows a batch
 * on request; a deposed object's delete warns instead of blocking; deletes in one plan never block
 * each other as dependants; the report reads Terraform's deposed objects and
 * create_before_destroy replacements into the same PlannedChange the front ends send.
 */
import { strict as assert } from "node:assert";
import type { Engine } from "../../provider/src/engine/engine";
import type { PlannedChange, PlanResult } from "../../provider/src/api";
import { ReviewSession } from "../../provider/src/engine/review/session";
import { parseTerraformPlan } from "../../provider/src/cli/report/terraform-plan";
import { seedEstate, testEngine, vm } from "../support/estate";

const create = (address: string, kind: PlannedChange["kind"] = "virtual_machine"): PlannedChange => ({ action: "create", kind, address, args: { name: address } });

describe("review session", () => {
  /** A planner that refuses the change under review when its address is in `refuse`, and records batches. */
  const recorder = (refuse: readonly string[] = []) => {
    const batches: string[][] = [];
    const planner = {
      async plan(changes: readonly PlannedChange[]): Promise<PlanResult> {
        batches.push(changes.map((c) => c.address!));
        const last = changes[changes.length - 1];
        return { placements: {}, diagnostics: refuse.includes(last.address!) ? [{ severity: "error", address: last.address, code: "quota_exceeded", summary: "x", detail: "x" }] : [] };
      },
    };
    return { batches, session: new ReviewSession(async () => planner) };
  };

  it("judges a wave in the rulebook's order, whatever order it arrived in", async () => {
    for (const arrival of [["e", "b", "a", "d", "c"], ["c", "a", "e", "b", "d"], ["a", "b", "c", "d", "e"]]) {
      const { batches, session } = recorder();
      await Promise.all([...arrival.map((a) => session.review(create(`vm.${a}`))), session.review(create("quota.q", "tenant_quota"))]);
      // Inventory (the quota) before what uses it, then by address; each batch extends the one before.
      assert.deepEqual(batches.at(-1), ["quota.q", "vm.a", "vm.b", "vm.c", "vm.d", "vm.e"], arrival.join());
      assert.deepEqual(batches.map((b) => b.length), [1, 2, 3, 4, 5, 6]);
    }
  });

  it("judges a workload's delete on arrival, where the wave's order would put it (first), and never waits for the wave", async () => {
    const { batches, session } = recorder();
    const del = (address: string, kind: PlannedChange["kind"] = "virtual_machine"): PlannedChange => ({ action: "delete", kind, address, id: address });
    const settled: string[] = [];
    const review = (c: PlannedChange) => session.review(c).then(() => settled.push(c.address!));
    const wave = [review(create("vm.b")), review(del("quota.q", "tenant_quota")), review(create("vm.a"))];
    // Judged within this turn of the event loop (microtasks only), long before the wave's timer.
    const first = await Promise.race([review(del("vm.z")).then(() => "judged"), new Promise((r) => setImmediate(() => r("waited")))]);
    assert.equal(first, "judged");
    assert.deepEqual(settled, ["vm.z"]);
    assert.deepEqual(batches, [["vm.z"]]);
    await Promise.all(wave);
    // The same order as one wave holding all four: workload deletes, then the quota's, then creates by address.
    assert.deepEqual(batches.at(-1), ["vm.z", "quota.q", "vm.a", "vm.b"]);
    assert.deepEqual(settled, ["vm.z", "quota.q", "vm.a", "vm.b"]);
  });

  it("keeps accepted changes only; a forgotten one stops counting; `with` narrows the batch", async () => {
    const { batches, session } = recorder(["vm.b"]);
    const verdicts = await Promise.all(["vm.a", "vm.b", "vm.c"].map((a) => session.review(create(a))));
    assert.deepEqual(verdicts.map((v) => v.length), [0, 1, 0]);
    assert.deepEqual(batches.at(-1), ["vm.a", "vm.c"], "the refused vm.b is not in later batches");
    session.forget("vm.a");
    await session.review(create("quota.q", "tenant_quota"), { with: (c) => c.kind !== "virtual_machine" });
    assert.deepEqual(batches.at(-1), ["quota.q"]);
    assert.deepEqual(session.pending().map((c) => c.address), ["vm.c", "quota.q"]);
  });
});

describe("review rules through the engine's plan", function () {
  this.timeout(60_000);
  let engine: Engine;
  beforeEach(async () => {
    ({ engine } = await testEngine());
    await seedEstate(engine, { quota: { cpu_cores: 16, memory_gib: 64, storage_gib: 1000 } });
    await engine.create("virtual_machine", vm("web"));
    await engine.create("block_pool", { name: "vault", tenant: "acme", group: "g", size_gib: 10, replicas: 1 });
  });
  afterEach(() => engine.close());

  it("a deposed object's delete warns instead of blocking; a plain one is refused", async () => {
    const del = (deposed: boolean): PlannedChange => ({ action: "delete", kind: "block_pool", id: "acme/vault", address: "pool", ...(deposed ? { deposed } : {}) });
    assert.deepEqual((await engine.plan([del(false)])).diagnostics.map((d) => [d.severity, d.code]), [["error", "protected"]]);
    assert.deepEqual((await engine.plan([del(true)])).diagnostics.map((d) => [d.severity, d.code]), [["warning", "protected"]]);
  });

  it("deletes of one plan never block each other as dependants; a dependant that stays does", async () => {
    const unprotect = await engine.update("block_pool", "acme/vault", { name: "vault", tenant: "acme", group: "g", size_gib: 10, replicas: 1, deletion_protection: false });
    assert.equal(unprotect.deletion_protection, false);
    const all: PlannedChange[] = [
      { action: "delete", kind: "virtual_machine", id: "acme/web", address: "vm" },
      { action: "delete", kind: "block_pool", id: "acme/vault", address: "pool" },
      { action: "delete", kind: "tenant_quota", id: "acme/g", address: "quota" },
      { action: "delete", kind: "baremetal_group", id: "g", address: "group" },
    ];
    assert.deepEqual((await engine.plan(all)).diagnostics, []);
    const quotaOnly = await engine.plan([all[0], all[2]]);
    assert.deepEqual(quotaOnly.diagnostics.map((d) => [d.address, d.code]), [["quota", "in_use"]]);
    assert.match(quotaOnly.diagnostics[0].detail, /still holds block_pool acme\/vault$/);
  });
});

describe("report: Terraform's plan read into the rulebook's changes", () => {
  it("a deposed object's delete is marked deposed; a create_before_destroy replacement creates first", () => {
    const vmAfter = { name: "web2", tenant: "acme", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 1 };
    const parsed = parseTerraformPlan({
      format_version: "1.2",
      resource_changes: [
        { address: "otterscale_virtual_machine.web", mode: "managed", type: "otterscale_virtual_machine", deposed: "00000001", change: { actions: ["delete"], before: { id: "acme/web" }, after: null } },
        { address: "otterscale_virtual_machine.api", mode: "managed", type: "otterscale_virtual_machine", change: { actions: ["create", "delete"], before: { id: "acme/api" }, after: vmAfter } },
        { address: "otterscale_virtual_machine.db", mode: "managed", type: "otterscale_virtual_machine", change: { actions: ["delete", "create"], before: { id: "acme/db" }, after: vmAfter } },
      ],
    });
    assert.deepEqual(
      parsed.changes.map((c) => [c.action, c.address, c.id, c.deposed ?? false, c.createFirst ?? false]),
      [
        ["delete", "otterscale_virtual_machine.web (deposed 00000001)", "acme/web", true, false],
        ["replace", "otterscale_virtual_machine.api", "acme/api", false, true],
        ["replace", "otterscale_virtual_machine.db", "acme/db", false, false],
      ],
    );
  });
});
