/**
 * The provider's private state remembers the ledger an object was written to: the RPCs as
 * Terraform calls them (in-process server, real gRPC, fake engine whose `ledgerId` a test sets).
 * State from another ledger is refused on Read, Plan and Apply with both ids named, before the
 * engine is asked anything; state without private data (written before ledgers had ids) is
 * accepted and comes back remembering the ledger; Import remembers it too.
 */
import { strict as assert } from "node:assert";
import { derivedOwner } from "../../provider/src/terraform/private-state";
import { startProvider, type RunningProvider } from "../../provider/src/terraform/plugin";
import { providerSpec, resourceSpec, type ObjectSpec } from "../../provider/src/terraform/schema";
import { decodeValue, encodeValue } from "../../provider/src/terraform/codec/msgpack";
import type { TfObject, TfValue } from "../../provider/src/terraform/codec/types";
import { FakeEngine } from "./fake-engine";
import { pluginClient, type PluginClient } from "./grpc-client";

const VM = "otterscale_virtual_machine";
const vm = resourceSpec(VM)!;

function full(spec: ObjectSpec, set: TfObject): TfObject {
  const out: TfObject = {};
  for (const a of spec.attributes) out[a.name] = null;
  for (const b of spec.blocks) out[b.name] = null;
  return { ...out, ...set };
}
const dv = (spec: ObjectSpec, v: TfValue) => ({ msgpack: encodeValue(v, spec.type) });
const val = (spec: ObjectSpec, d: { msgpack?: Buffer } | undefined) => decodeValue(d?.msgpack, spec.type) as TfObject | null;
const vmConfig = (name: string, cpu: number) => full(vm, { name, tenant: "team-a", group: "g1", cpu_cores: cpu, memory_gib: 1, disk_gib: 10 });

/** Private bytes as a provider of ledger `id` writes them. */
const privateOf = (id: string, extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ ...extra, ledger_id: id }));
/** What private bytes remember (`{}` when empty). */
const parsed = (bytes: Uint8Array | undefined): Record<string, unknown> => (bytes?.length ? JSON.parse(Buffer.from(bytes).toString("utf8")) : {});
/** The private data minus the owner (ownership has tests of its own; see the Create test below). */
const remembered = (bytes: Uint8Array | undefined): Record<string, unknown> => {
  const { owner: _owner, ...rest } = parsed(bytes);
  return rest;
};

interface Diag {
  severity: number;
  summary: string;
  detail: string;
}

const OTHER = "ledger-of-another-estate";

describe("terraform provider: private state remembers the ledger", () => {
  let engine: FakeEngine;
  let running: RunningProvider;
  let c: PluginClient;
  /** A VM created through the provider: its state and private bytes. */
  let created: { state: TfObject; private: Uint8Array };

  beforeEach(async () => {
    engine = new FakeEngine();
    running = await startProvider({ openEngine: async () => engine });
    c = pluginClient(running.port);
    await c.provider("ConfigureProvider", { terraform_version: "1.11.4", config: dv(providerSpec(), { ledger_url: null, controller_url: null }) });
    const planned = await c.provider("PlanResourceChange", { type_name: VM, prior_state: dv(vm, null), proposed_new_state: dv(vm, vmConfig("web", 2)), config: dv(vm, vmConfig("web", 2)) });
    const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, null), planned_state: planned.planned_state, config: dv(vm, vmConfig("web", 2)) });
    assert.deepEqual(res.diagnostics ?? [], []);
    created = { state: val(vm, res.new_state)!, private: res.private };
    engine.calls.length = 0;
  });
  afterEach(async () => {
    c.close();
    await running.stop();
  });

  /** The one error diagnostic names both ledgers and says what to do. */
  function assertRefused(diagnostics: Diag[] | undefined, stateLedger = OTHER): void {
    assert.equal(diagnostics?.length, 1, JSON.stringify(diagnostics));
    const [d] = diagnostics!;
    assert.equal(d.severity, 1, "an error");
    assert.equal(d.summary, "Invalid provider configuration");
    assert.ok(d.detail.includes(`was written against ledger ${stateLedger}, but the configured ledger fake://ledger is ledger ${engine.ledgerId}`), d.detail);
    assert.match(d.detail, /Point the ledger setting \(Terraform `ledger_url`, Pulumi `otterscale:ledgerUrl`, or OTTERSCALE_LEDGER_URL\) back at the ledger this state belongs to/);
  }
  const engineOps = () => engine.calls.map((x) => x.op);

  it("Create returns private data naming the ledger", () => {
    assert.deepEqual(remembered(created.private), { ledger_id: "fake-ledger-1" });
    assert.equal(parsed(created.private).owner, derivedOwner(process.cwd(), process.env), "and the workspace that owns it");
  });

  describe("state from another ledger is refused, naming both ids, before the engine acts", () => {
    it("ReadResource: error, the state handed back unchanged, the engine not asked", async () => {
      const res = await c.provider("ReadResource", { type_name: VM, current_state: dv(vm, created.state), private: privateOf(OTHER) });
      assertRefused(res.diagnostics);
      assert.deepEqual(val(vm, res.new_state), created.state, "not dropped from state");
      assert.deepEqual(engineOps(), []);
    });

    it("the provider re-pointed at another ledger (the engine's id changed): Read of the old state is refused", async () => {
      engine.ledgerId = "fake-ledger-2";
      const res = await c.provider("ReadResource", { type_name: VM, current_state: dv(vm, created.state), private: created.private });
      assertRefused(res.diagnostics, "fake-ledger-1");
      assert.ok(res.diagnostics[0].detail.includes("is ledger fake-ledger-2"));
    });

    it("PlanResourceChange (an update): error, no plan review", async () => {
      const res = await c.provider("PlanResourceChange", {
        type_name: VM,
        prior_state: dv(vm, created.state),
        proposed_new_state: dv(vm, { ...created.state, cpu_cores: 4 }),
        config: dv(vm, vmConfig("web", 4)),
        prior_private: privateOf(OTHER),
      });
      assertRefused(res.diagnostics);
      assert.deepEqual(engineOps(), []);
    });

    it("PlanResourceChange (a destroy): error", async () => {
      const res = await c.provider("PlanResourceChange", { type_name: VM, prior_state: dv(vm, created.state), proposed_new_state: dv(vm, null), config: dv(vm, null), prior_private: privateOf(OTHER) });
      assertRefused(res.diagnostics);
    });

    it("ApplyResourceChange (an update): error, the prior state kept, the engine not asked", async () => {
      const planned = { ...created.state, cpu_cores: 4 };
      const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, created.state), planned_state: dv(vm, planned), config: dv(vm, vmConfig("web", 4)), planned_private: privateOf(OTHER) });
      assertRefused(res.diagnostics);
      assert.deepEqual(val(vm, res.new_state), created.state);
      assert.deepEqual(engineOps(), []);
      assert.equal(engine.objects.get("virtual_machine/team-a/web")!.cpu_cores, 2);
    });

    it("ApplyResourceChange (a delete): error, the object kept", async () => {
      const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, created.state), planned_state: dv(vm, null), config: dv(vm, null), planned_private: privateOf(OTHER) });
      assertRefused(res.diagnostics);
      assert.deepEqual(val(vm, res.new_state), created.state, "still in state");
      assert.ok(engine.objects.has("virtual_machine/team-a/web"), "still in the ledger");
      assert.deepEqual(engineOps(), []);
    });
  });

  describe("state without private data (written before ledgers had ids) is accepted and comes back remembering the ledger", () => {
    it("ReadResource", async () => {
      for (const priv of [undefined, Buffer.alloc(0)]) {
        const res = await c.provider("ReadResource", { type_name: VM, current_state: dv(vm, created.state), ...(priv ? { private: priv } : {}) });
        assert.deepEqual(res.diagnostics ?? [], []);
        assert.deepEqual(val(vm, res.new_state), created.state);
        assert.deepEqual(remembered(res.private), { ledger_id: "fake-ledger-1" });
      }
    });

    it("PlanResourceChange then ApplyResourceChange (an update)", async () => {
      const plan = await c.provider("PlanResourceChange", { type_name: VM, prior_state: dv(vm, created.state), proposed_new_state: dv(vm, { ...created.state, cpu_cores: 4 }), config: dv(vm, vmConfig("web", 4)) });
      assert.deepEqual(plan.diagnostics ?? [], []);
      const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, created.state), planned_state: plan.planned_state, config: dv(vm, vmConfig("web", 4)), planned_private: plan.planned_private });
      assert.deepEqual(res.diagnostics ?? [], []);
      assert.equal(val(vm, res.new_state)!.cpu_cores, 4);
      assert.deepEqual(remembered(res.private), { ledger_id: "fake-ledger-1" });
    });

    it("ApplyResourceChange (a delete)", async () => {
      const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, created.state), planned_state: dv(vm, null), config: dv(vm, null) });
      assert.deepEqual(res.diagnostics ?? [], []);
      assert.equal(val(vm, res.new_state), null);
      assert.ok(!engine.objects.has("virtual_machine/team-a/web"));
    });
  });

  describe("a failed apply keeps the prior object's private data (Terraform stores what the response carries)", () => {
    it("an update the engine fails: the ledger id stays remembered", async () => {
      engine.objects.delete("virtual_machine/team-a/web"); // the fake's update now fails with not_found
      const planned = { ...created.state, cpu_cores: 4 };
      const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, created.state), planned_state: dv(vm, planned), config: dv(vm, vmConfig("web", 4)), planned_private: created.private });
      assert.equal(res.diagnostics.length, 1);
      assert.deepEqual(val(vm, res.new_state), created.state);
      assert.deepEqual(remembered(res.private), { ledger_id: "fake-ledger-1" });
    });

    it("a refused apply: the foreign ledger id stays, so the next run is refused too", async () => {
      const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, created.state), planned_state: dv(vm, null), config: dv(vm, null), planned_private: privateOf(OTHER) });
      assertRefused(res.diagnostics);
      assert.deepEqual(remembered(res.private), { ledger_id: OTHER });
    });

    it("an engine that cannot be opened: the ledger id stays", async () => {
      c.close();
      await running.stop();
      running = await startProvider({
        openEngine: async () => {
          throw new Error("ledger unreachable");
        },
      });
      c = pluginClient(running.port);
      const res = await c.provider("ApplyResourceChange", { type_name: VM, prior_state: dv(vm, created.state), planned_state: dv(vm, null), config: dv(vm, null), planned_private: created.private });
      assert.equal(res.diagnostics.length, 1);
      assert.deepEqual(remembered(res.private), { ledger_id: "fake-ledger-1" });
      const read = await c.provider("ReadResource", { type_name: VM, current_state: dv(vm, created.state), private: created.private });
      assert.equal(read.diagnostics.length, 1);
      assert.deepEqual(remembered(read.private), { ledger_id: "fake-ledger-1" }, "a failed read hands the private data back too");
    });
  });

  it("state of the same ledger is accepted; other keys of the private data are kept", async () => {
    const res = await c.provider("ReadResource", { type_name: VM, current_state: dv(vm, created.state), private: privateOf("fake-ledger-1", { note: "kept" }) });
    assert.deepEqual(res.diagnostics ?? [], []);
    assert.deepEqual(remembered(res.private), { note: "kept", ledger_id: "fake-ledger-1" });
    const plan = await c.provider("PlanResourceChange", {
      type_name: VM,
      prior_state: dv(vm, created.state),
      proposed_new_state: dv(vm, { ...created.state, cpu_cores: 3 }),
      config: dv(vm, vmConfig("web", 3)),
      prior_private: res.private,
    });
    assert.deepEqual(plan.diagnostics ?? [], []);
    assert.deepEqual(remembered(plan.planned_private), { note: "kept", ledger_id: "fake-ledger-1" }, "the plan carries the private data to apply");
  });

  it("ImportResourceState returns private data naming the ledger", async () => {
    const res = await c.provider("ImportResourceState", { type_name: VM, id: "team-a/web" });
    assert.deepEqual(res.diagnostics ?? [], []);
    assert.equal(res.imported_resources.length, 1);
    assert.deepEqual(remembered(res.imported_resources[0].private), { ledger_id: "fake-ledger-1" });
    engine.ledgerId = "fake-ledger-2";
    const again = await c.provider("ImportResourceState", { type_name: VM, id: "team-a/web" });
    assert.deepEqual(remembered(again.imported_resources[0].private), { ledger_id: "fake-ledger-2" }, "the ledger the import read from");
  });
});
