import assert from "node:assert/strict";
import { BACKENDS, manifests, seedEstate, server, testEngine, vm } from "../support/estate";
import type { Engine } from "../../provider/src/engine/engine";

for (const backend of BACKENDS) describe(`plan API (dry run of a batch) (${backend})`, () => {
  let engine: Engine;
  let home: string;
  beforeEach(async () => {
    ({ engine, home } = await testEngine(undefined, backend));
    await seedEstate(engine, { quota: { cpu_cores: 16, memory_gib: 64, storage_gib: 1000 } });
  });
  afterEach(() => engine.close());

  it("5 VMs that each fit but together exceed the quota fail at plan time, and nothing is written", async () => {
    const auditBefore = (await engine.ledger.audit()).length;
    const changes = [1, 2, 3, 4, 5].map((i) => ({
      action: "create" as const,
      kind: "virtual_machine" as const,
      args: vm(`web-${i}`, { cpu_cores: 4 }),
      address: `otterscale_virtual_machine.web[${i - 1}]`,
    }));
    const r = await engine.plan(changes);
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    // 4 x 4 = 16 fits exactly; the fifth passes the limit.
    assert.deepEqual(errors.map((d) => d.address), ["otterscale_virtual_machine.web[4]"]);
    assert.equal(errors[0].path, "cpu_cores");
    assert.match(errors[0].detail, /tenant acme in group g: cpu_cores requested 4, used 16, limit 16/);
    assert.equal((await engine.ledger.audit()).length, auditBefore);
    assert.equal(manifests(home).filter((m) => m.includes("virtual_machine")).length, 0);
  });

  it("after the destroy half of a replace ran, the growing batch still counts the replacement", async () => {
    await engine.create("virtual_machine", vm("x", { cpu_cores: 2 }));
    const replace = { action: "replace" as const, kind: "virtual_machine" as const, id: "acme/x", args: vm("x", { cpu_cores: 10 }), address: "x" };
    assert.deepEqual((await engine.plan([replace])).diagnostics, []);
    await engine.delete("virtual_machine", "acme/x"); // Terraform destroys before it creates
    const grown = await engine.plan([replace, { action: "create", kind: "virtual_machine", args: vm("y", { cpu_cores: 8 }), address: "y" }]);
    // 10 (x's replacement) + 8 > 16: the same verdict as planning the batch from scratch.
    assert.deepEqual(grown.diagnostics.map((d) => [d.address, d.code]), [["y", "quota_exceeded"]]);
  });

  it("values not known until apply are left to apply time, not reported as missing", async () => {
    const pending = { action: "create" as const, kind: "virtual_machine" as const, args: { tenant: "acme", group: "g", cpu_cores: 2, memory_gib: 1, disk_gib: 1 }, unknown: ["name"], address: "later" };
    assert.deepEqual((await engine.plan([pending])).diagnostics, []);
    // Known values are still checked.
    const bad = await engine.plan([{ ...pending, args: { ...pending.args, cpu_cores: -2 }, address: "bad" }]);
    assert.deepEqual(bad.diagnostics.map((d) => [d.address, d.path, d.code]), [["bad", "cpu_cores", "invalid_input"]]);
    // Without the unknown marker a missing name is an error.
    const missing = await engine.plan([{ ...pending, unknown: undefined, address: "missing" }]);
    assert.deepEqual(missing.diagnostics.map((d) => [d.path, d.code]), [["name", "invalid_input"]]);
  });

  it("a count quota error points at the resource's name", async () => {
    await engine.update("tenant_quota", "acme/g", { tenant: "acme", group: "g", cpu_cores: 16, memory_gib: 64, storage_gib: 1000, max_virtual_machines: 1 });
    const r = await engine.plan([1, 2].map((i) => ({ action: "create" as const, kind: "virtual_machine" as const, args: vm(`c-${i}`), address: `c${i}` })));
    assert.deepEqual(
      r.diagnostics.map((d) => [d.address, d.path, d.code]),
      [["c2", "name", "quota_exceeded"]],
    );
    assert.match(r.diagnostics[0].detail, /virtual_machines requested 1, used 1, limit 1/);
  });

  it("predicts the placement that apply then makes", async () => {
    const args = [vm("a", { cpu_cores: 6 }), vm("b", { cpu_cores: 6, placement: { anti_affinity_group: "web" } }), vm("c", { cpu_cores: 2, placement: { anti_affinity_group: "web" } })];
    const r = await engine.plan(args.map((a, i) => ({ action: "create", kind: "virtual_machine", args: a, address: `vm${i}` })));
    assert.deepEqual(r.diagnostics, []);
    const applied = [];
    for (const a of args) applied.push((await engine.create("virtual_machine", a)).server);
    assert.deepEqual(Object.values(r.placements).map((s) => s[0]), applied);
    assert.deepEqual(applied, ["s1", "s1", "s2"]); // binpack; c avoids b's server s1 (anti-affinity)
  });

  it("plans a whole new estate in dependency order (servers, group, quota, VM)", async () => {
    const r = await engine.plan([
      { action: "create", kind: "server", args: server("n1", { cpu_cores: 4 }) },
      { action: "create", kind: "baremetal_group", args: { name: "new", servers: ["n1"] } },
      { action: "create", kind: "tenant_quota", args: { tenant: "t", group: "new", cpu_cores: 8 } },
      { action: "create", kind: "virtual_machine", args: vm("v", { tenant: "t", group: "new", cpu_cores: 3 }), address: "v" },
      { action: "create", kind: "virtual_machine", args: vm("w", { tenant: "t", group: "new", cpu_cores: 3 }), address: "w" },
    ]);
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].address, "w");
    assert.equal(errors[0].code, "unplaceable");
    assert.match(errors[0].detail, /n1/);
    // quota 8 > capacity 4 of group "new"
    const warnings = r.diagnostics.filter((d) => d.severity === "warning");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].detail, /add up to 8 cpu_cores, more than its capacity of 4/);
    assert.equal(warnings[0].address, "tenant_quota[2]", "carried by the quota change, not repeated on every resource");
    assert.equal(await engine.read("server", "n1"), undefined, "the plan wrote nothing");
  });

  it("credits a delete only to its own replacement (destroy first); a plain delete keeps counting for creates", async () => {
    await engine.create("virtual_machine", vm("old", { cpu_cores: 12 }));
    // A delete and an unrelated create may run in either order: the create must fit next to it.
    const r = await engine.plan([
      { action: "delete", kind: "virtual_machine", id: "acme/old", address: "old" },
      { action: "create", kind: "virtual_machine", args: vm("new", { cpu_cores: 16 }), address: "new" },
    ]);
    assert.deepEqual(r.diagnostics.map((d) => [d.address, d.code]), [["new", "quota_exceeded"]]);
    assert.match(r.diagnostics[0].detail, /Counted although this plan frees them: virtual_machine acme\/old \(deleted\)/);
    // A replacement under the same identity destroys first: its own create is credited.
    const same = await engine.plan([{ action: "replace", kind: "virtual_machine", id: "acme/old", args: vm("old", { cpu_cores: 16, group: "g" }), address: "old" }]);
    assert.deepEqual(same.diagnostics, []);
    // A replacement that renames may create first: the new one must fit next to the old.
    const renamed = await engine.plan([{ action: "replace", kind: "virtual_machine", id: "acme/old", args: vm("new", { cpu_cores: 16 }), address: "old" }]);
    assert.deepEqual(renamed.diagnostics.map((d) => d.code), ["quota_exceeded"]);
    assert.match(renamed.diagnostics[0].detail, /acme\/old \(replaced\).*create_before_destroy/);
    const r2 = await engine.plan([{ action: "update", kind: "virtual_machine", id: "acme/old", args: vm("old", { cpu_cores: 17 }) }]);
    assert.equal(r2.diagnostics[0].code, "quota_exceeded");
  });

  it("growing a batch one change at a time gives the same verdicts as planning it at once", async () => {
    const changes = [1, 2, 3, 4, 5, 6].map((i) => ({ action: "create" as const, kind: "virtual_machine" as const, args: vm(`v-${i}`, { cpu_cores: 3 }), address: `v${i}` }));
    let last;
    for (let n = 1; n <= changes.length; n++) last = await engine.plan(changes.slice(0, n));
    const { engine: other, home: _h } = await testEngine(undefined, backend);
    await seedEstate(other, { quota: { cpu_cores: 16, memory_gib: 64, storage_gib: 1000 } });
    const once = await other.plan(changes);
    await other.close();
    assert.deepEqual(last, once);
    // 5 x 3 = 15 <= 16; the sixth passes the limit
    assert.deepEqual(once.diagnostics.map((d) => d.address), ["v6"]);
    // A ledger change invalidates the incremental state: the committed VM now counts.
    await engine.create("virtual_machine", vm("real", { cpu_cores: 3 }));
    const after = await engine.plan(changes);
    assert.deepEqual(after.diagnostics.map((d) => d.address), ["v5", "v6"]);
  });
});
