import { strict as assert } from "node:assert";
import { resourceSpec } from "../../provider/src/terraform/schema";
import { argsOf, planResource, refreshedState, resolvePlanned } from "../../provider/src/terraform/plan";
import { isUnknown, UNKNOWN, type TfObject } from "../../provider/src/terraform/codec/types";
import { parseGoDuration, timeoutMsOf } from "../../provider/src/terraform/timeouts";
import { addressOf, identityOf } from "../../provider/src/terraform/pending";
import { ReviewSession } from "../../provider/src/engine/review/session";

const vm = resourceSpec("otterscale_virtual_machine")!;
const vc = resourceSpec("otterscale_vcluster")!;

/** A config value as Terraform sends it: every attribute present, unset = null. */
function config(spec: typeof vm, set: TfObject): TfObject {
  const out: TfObject = {};
  for (const a of spec.attributes) out[a.name] = null;
  for (const b of spec.blocks) out[b.name] = null;
  return { ...out, ...set };
}
const vmConfig = (extra: TfObject = {}) => config(vm, { name: "web", tenant: "a", group: "g", cpu_cores: 2, memory_gib: 4, disk_gib: 20, ...extra });
const vmState = (extra: TfObject = {}): TfObject => ({
  ...vmConfig(),
  gpu_count: 0,
  run_strategy: "Always",
  id: "a/web",
  server: "s1",
  rack: "r1",
  zone: "z1",
  status: "Running",
  ...extra,
});

describe("terraform/plan", () => {
  it("create: config kept, defaults filled, computed unknown", () => {
    const { planned, requiresReplace } = planResource(vm, null, vmConfig({ placement: { strategy: null, server: null, anti_affinity_group: null, spread_domain: "rack", racks: null, zones: null } }));
    const p = planned as TfObject;
    assert.equal(p.cpu_cores, 2);
    assert.equal(p.gpu_count, 0);
    assert.equal(p.run_strategy, "Always");
    assert.equal(p.user_data, null);
    assert.ok(isUnknown(p.id) && isUnknown(p.server) && isUnknown(p.status));
    assert.deepEqual((p.placement as TfObject).spread_domain, "rack");
    assert.deepEqual(requiresReplace, []);
  });

  it("manifests: known after apply at create, the prior value when nothing changes, unknown again on an in-place update", () => {
    const docs = ['{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"web"}}'];
    assert.ok(isUnknown((planResource(vm, null, vmConfig()).planned as TfObject).manifests));
    assert.deepEqual((planResource(vm, vmState({ manifests: docs }), vmConfig()).planned as TfObject).manifests, docs);
    assert.ok(isUnknown((planResource(vm, vmState({ manifests: docs }), vmConfig({ cpu_cores: 4 })).planned as TfObject).manifests));
  });

  it("create: unknown config values stay unknown", () => {
    const p = planResource(vm, null, vmConfig({ tenant: UNKNOWN })).planned as TfObject;
    assert.ok(isUnknown(p.tenant));
  });

  it("update without input changes plans the prior state exactly", () => {
    const out = planResource(vm, vmState(), vmConfig());
    assert.equal(out.changed, false);
    assert.deepEqual(out.planned, { ...vmState(), timeouts: null });
  });

  it("resize keeps server/rack/zone/status/id known", () => {
    const out = planResource(vm, vmState(), vmConfig({ cpu_cores: 4 }));
    const p = out.planned as TfObject;
    assert.equal(p.cpu_cores, 4);
    assert.deepEqual([p.id, p.server, p.rack, p.zone, p.status], ["a/web", "s1", "r1", "z1", "Running"]);
    assert.deepEqual(out.requiresReplace, []);
  });

  it("a status-affecting change makes status unknown (run_strategy, paused)", () => {
    assert.ok(isUnknown((planResource(vm, vmState(), vmConfig({ run_strategy: "Halted" })).planned as TfObject).status));
    const created = planResource(vc, null, config(vc, { name: "dev", tenant: "a", group: "g" })).planned as TfObject; // defaults filled
    const vcPrior: TfObject = { ...created, id: "a/dev", status: "Running", servers: ["s1"], endpoint: "https://x", kubeconfig: "k" };
    const p = planResource(vc, vcPrior, config(vc, { name: "dev", tenant: "a", group: "g", paused: true })).planned as TfObject;
    assert.ok(isUnknown(p.status));
    assert.deepEqual([p.endpoint, p.kubeconfig, p.servers], ["https://x", "k", ["s1"]]);
  });

  it("computed attributes become unknown only when an input they are computed from changed (x-computed-from)", () => {
    const q = resourceSpec("otterscale_tenant_quota")!;
    const prior: TfObject = { ...config(q, { tenant: "a", group: "g", cpu_cores: 8 }), gpus: 0, id: "a/g", used_cpu_cores: 2 };
    assert.equal((planResource(q, prior, config(q, { tenant: "a", group: "g", cpu_cores: 8 })).planned as TfObject).used_cpu_cores, 2);
    // A new limit does not change what is used.
    assert.equal((planResource(q, prior, config(q, { tenant: "a", group: "g", cpu_cores: 16 })).planned as TfObject).used_cpu_cores, 2);
    const bp = resourceSpec("otterscale_block_pool")!;
    const pool: TfObject = { ...config(bp, { name: "p", tenant: "a", group: "g", size_gib: 10 }), failure_domain: "server", deletion_protection: true, id: "a/p", raw_gib: 30, servers: ["s1", "s2", "s3"], status: "Ready" };
    const grown = planResource(bp, pool, config(bp, { name: "p", tenant: "a", group: "g", size_gib: 20 })).planned as TfObject;
    assert.ok(isUnknown(grown.raw_gib), "raw_gib follows size_gib");
    assert.deepEqual([grown.servers, grown.status, grown.id], [["s1", "s2", "s3"], "Ready", "a/p"]);
    const g = resourceSpec("otterscale_baremetal_group")!;
    const group: TfObject = { ...config(g, { name: "g", servers: ["s1"] }), id: "g", member_servers: ["s1"], total_cpu_cores: 16, allocated_cpu_cores: 2 };
    const described = planResource(g, group, config(g, { name: "g", servers: ["s1"], description: "x" })).planned as TfObject;
    assert.deepEqual([described.total_cpu_cores, described.allocated_cpu_cores, described.member_servers], [16, 2, ["s1"]]);
    const grownGroup = planResource(g, group, config(g, { name: "g", servers: ["s1", "s2"] })).planned as TfObject;
    assert.ok(isUnknown(grownGroup.total_cpu_cores) && isUnknown(grownGroup.member_servers), "membership changes the totals");
  });

  it("requires_replace lists changed x-force-new attributes", () => {
    assert.deepEqual(planResource(vm, vmState(), vmConfig({ name: "web2", group: "h" })).requiresReplace, ["name", "group"]);
    const bp = resourceSpec("otterscale_block_pool")!;
    const prior: TfObject = { ...config(bp, { name: "p", tenant: "a", group: "g", size_gib: 10 }), failure_domain: "server", deletion_protection: true, id: "a/p" };
    assert.deepEqual(planResource(bp, prior, config(bp, { name: "p", tenant: "a", group: "g", size_gib: 10, failure_domain: "rack" })).requiresReplace, ["failure_domain"]);
    assert.deepEqual(planResource(bp, prior, config(bp, { name: "p", tenant: "a", group: "g", size_gib: 20 })).requiresReplace, []);
  });

  it("destroy plans null", () => assert.equal(planResource(vm, vmState(), null).planned, null));

  it("after apply, known planned values win and unknowns come from the engine", () => {
    const planned = planResource(vm, null, vmConfig()).planned;
    const state = resolvePlanned(planned, { ...vmState(), server: "s9", extra: 1 }, vm.type) as TfObject;
    assert.equal(state.server, "s9");
    assert.equal(state.cpu_cores, 2);
    assert.equal(state.extra, undefined);
  });

  it("refresh keeps unset optional attributes null and the timeouts block", () => {
    const bp = resourceSpec("otterscale_block_pool")!;
    const prior: TfObject = { ...config(bp, { name: "p", tenant: "a", group: "g", size_gib: 10 }), id: "a/p", timeouts: { create: "5m", update: null, delete: null } };
    const s = refreshedState(bp, prior, { name: "p", tenant: "a", group: "g", size_gib: 12, replicas: 3, id: "a/p" }) as TfObject;
    assert.equal(s.replicas, null);
    assert.equal(s.size_gib, 12); // drift shows
    assert.deepEqual(s.timeouts, { create: "5m", update: null, delete: null });
  });

  it("engine args drop computed, null, unknown and blocks", () => {
    const args = argsOf(vm, { ...vmConfig({ image: UNKNOWN }), id: UNKNOWN, timeouts: { create: "1m" } });
    assert.deepEqual(args, { name: "web", tenant: "a", group: "g", cpu_cores: 2, memory_gib: 4, disk_gib: 20 });
  });
});

describe("terraform/timeouts", () => {
  const table: [string, number | undefined][] = [
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["300ms", 300],
    ["2h45m30.5s", 9_930_500],
    ["0", 0],
    ["10", undefined], // Go requires a unit
    ["1d", undefined], // no days in Go
    ["", undefined],
  ];
  for (const [s, ms] of table) it(`parseGoDuration(${JSON.stringify(s)}) = ${ms}`, () => assert.equal(parseGoDuration(s), ms));

  it("reads the operation's timeout from the block", () => {
    const v = { timeouts: { create: "2m", update: null, delete: "30s" } };
    assert.deepEqual([timeoutMsOf(v, "create"), timeoutMsOf(v, "update"), timeoutMsOf(v, "delete")], [120_000, undefined, 30_000]);
  });
});

describe("terraform/pending", () => {
  it("identity follows x-import-id", () => {
    assert.equal(identityOf("virtual_machine", { tenant: "a", name: "web" }), "a/web");
    assert.equal(identityOf("tenant_quota", { tenant: "a", group: "g" }), "a/g");
    assert.equal(identityOf("server", { name: "n1" }), "n1");
    assert.equal(identityOf("virtual_machine", { name: "web" }), undefined);
  });

  it("re-planning the same resource replaces its entry in place; a new one goes last; failed entries are forgotten", () => {
    const p = new ReviewSession(async () => ({ plan: async () => ({ diagnostics: [], placements: {} }) }));
    const a = addressOf("otterscale_virtual_machine", "a/web");
    const b = addressOf("otterscale_virtual_machine", "a/db");
    const c = addressOf("otterscale_virtual_machine", "a/app");
    p.remember({ action: "create", kind: "virtual_machine", address: a, args: { cpu_cores: 2 } });
    p.remember({ action: "create", kind: "virtual_machine", address: b, args: { cpu_cores: 4 } });
    const again = p.prepare({ action: "create", kind: "virtual_machine", address: a, args: { cpu_cores: 3 } });
    // Same order as before (so the engine can continue its previous plan), the new value in place.
    assert.deepEqual(p.batchWith(again).map((ch) => [ch.address, ch.args?.cpu_cores]), [
      [a, 3],
      [b, 4],
    ]);
    const fresh = p.prepare({ action: "create", kind: "virtual_machine", address: c, args: { cpu_cores: 1 } });
    assert.deepEqual(p.batchWith(fresh).map((ch) => ch.address), [a, b, c]);
    p.forget(b);
    assert.equal(p.size, 1);
  });

  it("a replace stays a replace when Terraform re-plans it as a create", () => {
    const p = new ReviewSession(async () => ({ plan: async () => ({ diagnostics: [], placements: {} }) }));
    const a = addressOf("otterscale_block_pool", "a/p");
    p.remember({ action: "replace", kind: "block_pool", id: "a/p", address: a, args: {} });
    assert.deepEqual(p.prepare({ action: "create", kind: "block_pool", address: a, args: { size_gib: 1 } }), { action: "replace", kind: "block_pool", id: "a/p", address: a, args: { size_gib: 1 } });
  });
});
