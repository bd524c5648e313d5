/**
 * The provider server in-process, over real gRPC (plaintext), with the fake engine injected:
 * the RPCs as Terraform calls them, values msgpack-encoded.
 */
import { strict as assert } from "node:assert";
import { startProvider, type RunningProvider } from "../../provider/src/terraform/plugin";
import { resourceSpec, dataSourceSpec, providerSpec, type ObjectSpec } from "../../provider/src/terraform/schema";
import { decodeValue, encodeValue } from "../../provider/src/terraform/codec/msgpack";
import { isUnknown, UNKNOWN, type TfObject, type TfValue } from "../../provider/src/terraform/codec/types";
import { FakeEngine } from "./fake-engine";
import { pluginClient, type PluginClient } from "./grpc-client";

const VM = "otterscale_virtual_machine";
const vm = resourceSpec(VM)!;
const quota = resourceSpec("otterscale_tenant_quota")!;

function full(spec: ObjectSpec, set: TfObject): TfObject {
  const out: TfObject = {};
  for (const a of spec.attributes) out[a.name] = null;
  for (const b of spec.blocks) out[b.name] = null;
  return { ...out, ...set };
}
const dv = (spec: ObjectSpec, v: TfValue) => ({ msgpack: encodeValue(v, spec.type) });
const val = (spec: ObjectSpec, d: { msgpack?: Buffer } | undefined) => decodeValue(d?.msgpack, spec.type) as TfObject | null;
const vmConfig = (name: string, cpu: number, extra: TfObject = {}) => full(vm, { name, tenant: "team-a", group: "g1", cpu_cores: cpu, memory_gib: 0.5, disk_gib: 10, ...extra });
const steps = (d: { attribute?: { steps: Record<string, unknown>[] } }) => d.attribute?.steps.map((s) => s.attribute_name ?? s.element_key_int ?? s.element_key_string);

describe("terraform provider server (in-process, fake engine)", () => {
  let engine: FakeEngine;
  let running: RunningProvider;
  let c: PluginClient;
  let opened = 0;

  beforeEach(async () => {
    engine = new FakeEngine();
    opened = 0;
    running = await startProvider({ openEngine: async () => (opened++, engine) });
    c = pluginClient(running.port);
    await c.provider("ConfigureProvider", { terraform_version: "1.11.4", config: dv(providerSpec(), { ledger_url: null, controller_url: null }) });
  });
  afterEach(async () => {
    c.close();
    await running.stop();
  });

  async function plan(spec: ObjectSpec, prior: TfValue, config: TfValue) {
    const res = await c.provider("PlanResourceChange", { type_name: spec.typeName, prior_state: dv(spec, prior), proposed_new_state: dv(spec, config), config: dv(spec, config) });
    return { planned: val(spec, res.planned_state), diagnostics: res.diagnostics ?? [], requiresReplace: (res.requires_replace ?? []).map(steps) };
  }
  async function apply(spec: ObjectSpec, prior: TfValue, planned: TfValue) {
    const res = await c.provider("ApplyResourceChange", { type_name: spec.typeName, prior_state: dv(spec, prior), planned_state: dv(spec, planned), config: dv(spec, planned) });
    return { state: val(spec, res.new_state), diagnostics: res.diagnostics ?? [] };
  }

  it("GetProviderSchema answers every type; the engine is not opened for it", async () => {
    const res = await c.provider("GetProviderSchema");
    assert.equal(Object.keys(res.resource_schemas).length, 6);
    assert.deepEqual(Object.keys(res.data_source_schemas).sort(), ["otterscale_group_capacity", "otterscale_servers", "otterscale_tenant_usage", "otterscale_vcluster", "otterscale_virtual_machine"]);
    assert.deepEqual(Object.keys(res.ephemeral_resource_schemas), ["otterscale_vcluster_kubeconfig"]);
    assert.equal(opened, 0);
  });

  it("ValidateResourceConfig reports ajv problems with attribute paths and skips unknowns", async () => {
    const bad = vmConfig("Bad_Name", 2, { placement: { strategy: null, server: null, anti_affinity_group: null, spread_domain: "planet", racks: null, zones: null }, timeouts: { create: "10 minutes", update: null, delete: null } });
    const res = await c.provider("ValidateResourceConfig", { type_name: VM, config: dv(vm, bad) });
    assert.deepEqual(res.diagnostics.map(steps), [["name"], ["placement", "spread_domain"], ["timeouts", "create"]]);
    const unknownName = await c.provider("ValidateResourceConfig", { type_name: VM, config: dv(vm, vmConfig("x", 2, { name: UNKNOWN })) });
    assert.equal(unknownName.diagnostics, undefined);
  });

  it("plan -> apply create -> read -> no-op plan -> update -> delete", async () => {
    const config = vmConfig("web", 2, { timeouts: { create: "90s", update: null, delete: "1m" } });
    const p = await plan(vm, null, config);
    assert.deepEqual(p.diagnostics, []);
    assert.ok(isUnknown(p.planned!.server));
    const created = await apply(vm, null, p.planned);
    assert.equal(created.state!.server, "srv-1");
    assert.equal(created.state!.memory_gib, 0.5);
    assert.deepEqual(created.state!.timeouts, { create: "90s", update: null, delete: "1m" });
    assert.equal(engine.calls.find((x) => x.op === "create")!.opts!.timeoutMs, 90_000);

    const read = await c.provider("ReadResource", { type_name: VM, current_state: dv(vm, created.state) });
    assert.deepEqual(val(vm, read.new_state), created.state);

    const again = await plan(vm, created.state, config);
    assert.deepEqual(again.planned, created.state, "no diff");

    const resized = await plan(vm, created.state, { ...config, cpu_cores: 4 });
    assert.equal(resized.planned!.server, "srv-1", "server stays known on resize");
    const updated = await apply(vm, created.state, resized.planned);
    assert.equal(updated.state!.cpu_cores, 4);

    const deleted = await apply(vm, updated.state, null);
    assert.equal(deleted.state, null);
    assert.equal(engine.calls.find((x) => x.op === "delete")!.opts!.timeoutMs, 60_000);
  });

  it("ReadResource returns null when the engine says the object is gone", async () => {
    const res = await c.provider("ReadResource", { type_name: VM, current_state: dv(vm, { ...vmConfig("ghost", 1), id: "team-a/ghost" }) });
    assert.equal(val(vm, res.new_state), null);
  });

  it("plans of one run are checked together and errors carry the attribute path", async () => {
    await apply(quota, null, (await plan(quota, null, full(quota, { tenant: "team-a", group: "g1", cpu_cores: 8 }))).planned);
    assert.deepEqual((await plan(vm, null, vmConfig("a", 4))).diagnostics, []);
    assert.deepEqual((await plan(vm, null, vmConfig("b", 4))).diagnostics, []);
    // Re-planning "a" (as Terraform does at apply time) must not count it twice.
    assert.deepEqual((await plan(vm, null, vmConfig("a", 4))).diagnostics, []);
    const third = await plan(vm, null, vmConfig("c", 1));
    assert.equal(third.diagnostics.length, 1);
    assert.equal(third.diagnostics[0].severity, 1);
    assert.equal(third.diagnostics[0].summary, "Tenant quota exceeded");
    assert.match(third.diagnostics[0].detail, /requested 1, used 8, limit 8/);
    assert.deepEqual(steps(third.diagnostics[0]), ["cpu_cores"]);
    const last = engine.calls.filter((x) => x.op === "plan").at(-1)!;
    // First-planned order is kept across re-plans (deterministic), the change under review is last;
    // applied changes stay (the engine finds them in the ledger and does not count them twice).
    assert.deepEqual(last.changes!.map((ch) => [ch.address, ch.args?.cpu_cores]), [
      ["otterscale_tenant_quota[team-a/g1]", 8],
      ["otterscale_virtual_machine[team-a/a]", 4],
      ["otterscale_virtual_machine[team-a/b]", 4],
      ["otterscale_virtual_machine[team-a/c]", 1],
    ]);
  });

  it("engine errors on apply become diagnostics and keep the prior state", async () => {
    const bp = resourceSpec("otterscale_block_pool")!;
    const p = await plan(bp, null, full(bp, { name: "p", tenant: "team-a", group: "g1", size_gib: 10 }));
    const created = await apply(bp, null, p.planned);
    assert.equal(created.state!.replicas, null, "unset optional stays null although the engine reports 3");
    const del = await apply(bp, created.state, null);
    assert.equal(del.diagnostics[0].summary, "Deletion protection is enabled");
    assert.deepEqual(steps(del.diagnostics[0]), ["deletion_protection"]);
    assert.deepEqual(del.state, created.state);
  });

  it("ImportResourceState, UpgradeResourceState and ReadDataSource", async () => {
    const created = await apply(quota, null, (await plan(quota, null, full(quota, { tenant: "team-a", group: "g1", cpu_cores: 8 }))).planned);
    const imp = await c.provider("ImportResourceState", { type_name: "otterscale_tenant_quota", id: "team-a/g1" });
    const state = val(quota, imp.imported_resources[0].state)!;
    assert.equal(state.id, "team-a/g1");
    assert.equal(state.cpu_cores, 8);
    const missing = await c.provider("ImportResourceState", { type_name: "otterscale_tenant_quota", id: "team-a/nope" });
    assert.equal(missing.diagnostics[0].summary, "Referenced object not found");

    const up = await c.provider("UpgradeResourceState", { type_name: "otterscale_tenant_quota", version: 0, raw_state: { json: Buffer.from(JSON.stringify({ ...created.state, old_attr: 1 })) } });
    assert.deepEqual(val(quota, up.upgraded_state), created.state);

    const usage = dataSourceSpec("otterscale_tenant_usage")!;
    const cfg: TfObject = {};
    for (const a of usage.attributes) cfg[a.name] = null;
    const ds = await c.provider("ReadDataSource", { type_name: "otterscale_tenant_usage", config: dv(usage, { ...cfg, tenant: "team-a", group: "g1" }) });
    const got = val(usage, ds.state)!;
    assert.deepEqual([got.id, got.cpu_cores, got.used_cpu_cores], ["team-a/g1", 8, 0]);
  });

  it("answers what it does not offer without gRPC errors", async () => {
    assert.deepEqual(await c.provider("GetFunctions"), {});
    const eph = await c.provider("ValidateEphemeralResourceConfig", { type_name: "otterscale_x" });
    assert.equal(eph.diagnostics[0].summary, "Unknown ephemeral resource type");
    assert.equal((await c.provider("StopProvider")).Error ?? "", "");
  });
});
