/**
 * RunningProvider.shutdown, in-process over real gRPC: what the plugin process does when Terraform
 * is gone or it gets SIGTERM (main.ts), without the process around it.
 */
import { strict as assert } from "node:assert";
import type { OperationOptions, State } from "../../provider/src/api";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { startProvider, type RunningProvider } from "../../provider/src/terraform/plugin";
import { providerSpec, resourceSpec } from "../../provider/src/terraform/schema";
import { encodeValue } from "../../provider/src/terraform/codec/msgpack";
import type { TfObject } from "../../provider/src/terraform/codec/types";
import { FakeEngine } from "./fake-engine";
import { pluginClient, type PluginClient } from "./grpc-client";

const vm = resourceSpec("otterscale_virtual_machine")!;

function vmPlanned(name: string): TfObject {
  const out: TfObject = {};
  for (const a of vm.attributes) out[a.name] = null;
  for (const b of vm.blocks) out[b.name] = null;
  return { ...out, name, tenant: "acme", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 10 };
}

/**
 * An engine whose creates run until stopped, then take `releaseMs` to release their reservation
 * (or, with `ignoreStop`, never end). Records the order of events.
 */
class SlowEngine extends FakeEngine {
  readonly events: string[] = [];
  private startedResolve!: () => void;
  readonly started = new Promise<void>((r) => (this.startedResolve = r));

  constructor(private readonly behaviour: { releaseMs: number; ignoreStop?: boolean }) {
    super();
  }

  override async create(kind: ResourceKind, _args: unknown, opts?: OperationOptions): Promise<State> {
    this.events.push(`create ${kind}`);
    this.startedResolve();
    if (this.behaviour.ignoreStop) return new Promise<State>(() => undefined);
    await new Promise<void>((resolve) => opts?.signal?.addEventListener("abort", () => resolve(), { once: true }));
    this.events.push("stopped");
    await new Promise((r) => setTimeout(r, this.behaviour.releaseMs));
    this.events.push("released");
    throw new Error("stopped on request");
  }

  override async close(): Promise<void> {
    this.events.push("closed");
    await super.close();
  }
}

describe("terraform provider shutdown (Terraform gone or SIGTERM)", function () {
  this.timeout(20_000);
  let running: RunningProvider | undefined;
  let c: PluginClient | undefined;

  async function start(engine: SlowEngine): Promise<PluginClient> {
    running = await startProvider({ openEngine: async () => engine });
    c = pluginClient(running.port);
    await c.provider("ConfigureProvider", { terraform_version: "1.11.4", config: { msgpack: encodeValue({ ledger_url: null, controller_url: null, review_checks: null }, providerSpec().type) } });
    return c;
  }
  const applyVm = (client: PluginClient, name: string) =>
    client
      .provider("ApplyResourceChange", { type_name: vm.typeName, prior_state: { msgpack: encodeValue(null, vm.type) }, planned_state: { msgpack: encodeValue(vmPlanned(name), vm.type) }, config: { msgpack: encodeValue(vmPlanned(name), vm.type) } })
      .catch((e: Error) => ({ error: e.message }));

  afterEach(async () => {
    c?.close();
    await running?.stop();
    running = undefined;
    c = undefined;
  });

  it("stops the operations in flight, waits for them to release, then closes the engine", async () => {
    const engine = new SlowEngine({ releaseMs: 300 });
    const client = await start(engine);
    const applying = applyVm(client, "web-1");
    await engine.started;
    const t0 = Date.now();
    const { unsettled } = await running!.shutdown("test: Terraform is gone", 5000);
    assert.equal(unsettled, 0);
    assert.deepEqual(engine.events, ["create virtual_machine", "stopped", "released", "closed"]);
    assert.ok(Date.now() - t0 >= 250, "waited for the release");
    await applying;
  });

  it("after shutdown a late call fails at once and does not reopen the engine; StopProvider does not revive it", async () => {
    const engine = new SlowEngine({ releaseMs: 0 });
    const client = await start(engine);
    await client.provider("ReadResource", { type_name: vm.typeName, current_state: { msgpack: encodeValue(null, vm.type) } }); // no engine needed
    await running!.provider.shutdown("test", async () => undefined);
    await running!.provider.StopProvider();
    const res = await running!.provider.ApplyResourceChange({ type_name: vm.typeName, prior_state: { msgpack: encodeValue(null, vm.type) }, planned_state: { msgpack: encodeValue(vmPlanned("late"), vm.type) } });
    assert.match(JSON.stringify(res.diagnostics), /shutting down/);
    assert.deepEqual(engine.events, [], "the engine was neither opened for nor asked to create the late call");
  });

  it("gives up after the grace when an operation ignores the stop, and still closes", async () => {
    const engine = new SlowEngine({ releaseMs: 0, ignoreStop: true });
    const client = await start(engine);
    void applyVm(client, "stuck");
    await engine.started;
    const t0 = Date.now();
    const { unsettled } = await running!.shutdown("test", 500);
    const took = Date.now() - t0;
    assert.equal(unsettled, 1);
    assert.ok(took >= 450 && took < 3000, `bounded by the grace (took ${took} ms)`);
    assert.deepEqual(engine.events, ["create virtual_machine", "closed"]);
  });
});
