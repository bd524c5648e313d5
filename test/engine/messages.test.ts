/**
 * Messages that say what to do (issue 13, "Messages"): an update's refusal gives the new value
 * and its growth; a resize refusal counts the VM's own share in what is allocated; a GPU model
 * the server lacks is named before any capacity; a pin to a server that does not exist says so;
 * a gpu_model change advises replacement; nested attribute paths print as users write them.
 */
import { strict as assert } from "node:assert";
import type { Engine } from "../../provider/src/engine/engine";
import { rejects, server, testEngine, vm } from "../support/estate";

describe("engine messages", function () {
  this.timeout(60_000);
  let engine: Engine;
  beforeEach(async () => {
    ({ engine } = await testEngine());
    // r1: 8 cores; gx: 32 cores and one a100 (full after one GPU VM).
    await engine.create("server", server("r1", { cpu_cores: 8 }));
    await engine.create("server", server("gx", { cpu_cores: 32, gpus: [{ model: "a100", count: 1 }] }));
    await engine.create("baremetal_group", { name: "g", servers: ["r1"] });
    await engine.create("baremetal_group", { name: "gpu", servers: ["gx"] });
    await engine.create("tenant_quota", { tenant: "acme", group: "g", cpu_cores: 12, memory_gib: 100, storage_gib: 1000 });
    await engine.create("tenant_quota", { tenant: "acme", group: "gpu", cpu_cores: 100, memory_gib: 100, storage_gib: 1000, gpus: 4 });
  });
  afterEach(() => engine.close());

  it("an update's quota refusal gives the new value and its growth: cpu_cores requested 5 (+1), used 12, limit 12", async () => {
    // Room on the servers (r2), so the quota is what refuses: 4 + 8 = 12 of 12 used.
    await engine.create("server", server("r2", { cpu_cores: 16 }));
    await engine.update("baremetal_group", "g", { name: "g", servers: ["r1", "r2"] });
    await engine.create("virtual_machine", vm("a", { cpu_cores: 4 }));
    await engine.create("virtual_machine", vm("b", { cpu_cores: 8 }));
    const e = await rejects(engine.update("virtual_machine", "acme/a", vm("a", { cpu_cores: 5 })));
    assert.equal(e.code, "quota_exceeded");
    assert.equal(e.message, "quota exceeded for tenant acme in group g: cpu_cores requested 5 (+1), used 12, limit 12");
    // A create still says plainly what it requests.
    const c = await rejects(engine.create("virtual_machine", vm("c", { cpu_cores: 1 })));
    assert.equal(c.message, "quota exceeded for tenant acme in group g: cpu_cores requested 1, used 12, limit 12");
  });

  it("a resize refusal counts the VM's own share in what is allocated", async () => {
    await engine.create("virtual_machine", vm("x", { cpu_cores: 4 }));
    await engine.create("virtual_machine", vm("y", { cpu_cores: 4 }));
    // r1 holds 8 of 8 cores, 4 of them x's: growing x by 1 does not fit.
    const e = await rejects(engine.update("virtual_machine", "acme/x", vm("x", { cpu_cores: 5 })));
    assert.equal(e.code, "unplaceable");
    assert.match(e.message, /insufficient cpu: requested 5 \(\+1\), allocated 8 \(4 of them this VM's\), capacity 8 cores/);
    assert.match(e.message, /free capacity on r1/);
  });

  it("a GPU model the server lacks is named before its capacity", async () => {
    // gx lacks v100 and also has too few cores for 64: the model is the reason given.
    const e = await rejects(engine.create("virtual_machine", vm("v", { group: "gpu", cpu_cores: 64, gpu_model: "v100", gpu_count: 1 })));
    assert.equal(e.code, "unplaceable");
    assert.match(e.message, /gx: server has no v100 GPUs \(it has a100\)/);
    assert.doesNotMatch(e.message, /insufficient/);
  });

  it("a pin to a server that does not exist says no such server", async () => {
    const e = await rejects(engine.create("virtual_machine", vm("p", { placement: { server: "nope" } })));
    assert.match(e.message, /pinned server nope: no such server/);
    assert.doesNotMatch(e.message, /member of group/);
    // A server that exists outside the group is still "not a member".
    const m = await rejects(engine.create("virtual_machine", vm("q", { placement: { server: "gx" } })));
    assert.match(m.message, /not a member of group g/);
  });

  it("changing gpu_model advises replacement, not freeing capacity", async () => {
    await engine.create("virtual_machine", vm("gv", { group: "gpu", gpu_model: "a100", gpu_count: 1 }));
    const e = await rejects(engine.update("virtual_machine", "acme/gv", vm("gv", { group: "gpu", gpu_model: "v100", gpu_count: 1 })));
    assert.equal(e.code, "unplaceable");
    assert.match(e.message, /server has no v100 GPUs/);
    assert.match(e.message, /Changing gpu_model needs a server with v100 GPUs.*replace it/);
    assert.doesNotMatch(e.message, /free capacity/);
  });

  it("nested attribute paths print as gpus[0].count", async () => {
    const e = await rejects(engine.create("server", server("bad", { gpus: [{ model: "a100", count: -1 }] })));
    assert.equal(e.code, "invalid_input");
    assert.match(e.message, /gpus\[0\]\.count: /);
    assert.ok(e.problems.some((p) => p.path === "gpus.0.count"), "the structured path stays dotted (Terraform attribute steps)");
    const plan = await engine.plan([{ action: "create", kind: "server", args: server("bad", { gpus: [{ model: "a100", count: -1 }] }), address: "s" }]);
    assert.match(plan.diagnostics[0].detail, /^gpus\[0\]\.count: /);
  });
});
