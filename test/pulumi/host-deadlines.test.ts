/**
 * Timeouts and cancellation through the real dynamic-provider host (issue 18, item 3): a VM on a
 * (fake) Kubernetes cluster whose operator never reports it ready hangs its create, as a hung
 * controller hangs `pulumi up`. `customTimeouts`, the host's Cancel RPC, SIGTERM/SIGINT and a
 * Pulumi that is gone must each end the wait and settle the reservation: no row left pending, the
 * tenant charged nothing, the half-made VM removed from the cluster.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { openLedger } from "../../provider/src/ledger/open";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { startFakeKube, type FakeKubeApiServer } from "../support/fake-kube-apiserver";
import { alive, childrenOf, killAll, waitUntil } from "../support/processes";
import { failureOf, HostProcess, initStackLedger, serializedProviders, tempDir, type Props } from "./support";

interface LedgerView {
  /** `kind key state` of rows not active (a reservation in flight or left behind). */
  readonly unsettled: string[];
  readonly cpuUsed: number;
  readonly vmsUsed: number;
}

describe("pulumi: timeouts and cancellation (the dynamic-provider host over gRPC, a hanging controller)", function () {
  this.timeout(60_000);
  let texts: Record<ResourceKind, string>;
  let fake: FakeKubeApiServer;
  let host: HostProcess;
  let home: string;
  let config: Record<string, string>;
  const started = new Set<number>();

  const urnOf = (kind: ResourceKind, name: string) => `urn:pulumi:test::otterscale-estate::pulumi-nodejs:dynamic/otterscale:${kind}::${name}`;
  const withProvider = (kind: ResourceKind, props: Props): Props => ({ ...props, __provider: texts[kind] });
  async function checked(kind: ResourceKind, inputs: Props): Promise<Props> {
    const r = await host.check(urnOf(kind, String(inputs.name ?? inputs.tenant)), {}, withProvider(kind, inputs));
    assert.deepEqual(r.failures, [], `check of ${kind} ${JSON.stringify(inputs)}`);
    return r.inputs;
  }
  const apply = async (kind: ResourceKind, inputs: Props) => host.create(await checked(kind, inputs));
  const web = { name: "web-1", tenant: "acme", group: "g", cpuCores: 2, memoryGib: 4, diskGib: 10 };
  const vmOnCluster = () => fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1");

  async function ledgerView(): Promise<LedgerView> {
    const ledger = await openLedger(config["otterscale:ledgerUrl"]);
    try {
      return await ledger.read(async (tx) => {
        const usage = await tx.usage("acme", "g");
        return {
          unsettled: (await tx.list({ states: ["pending", "updating", "deleting"] })).map((r) => `${r.kind} ${r.key} ${r.state}`),
          cpuUsed: usage.resources.cpu / 1000,
          vmsUsed: usage.virtualMachines,
        };
      });
    } finally {
      await ledger.close();
    }
  }

  /** Starts the host (or `command`, a launcher of it), configured for the fake cluster, with an estate. */
  async function startHost(command?: readonly [string, ...string[]]): Promise<void> {
    // The shim finds the host from its working directory, with the `node` on PATH.
    const launcher = command ? { command, cwd: path.resolve(__dirname, "..", "..", ".."), env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } } : {};
    host = await HostProcess.start({ cwd: tempDir("pulumi-cwd-"), ...launcher });
    if (host.child.pid) started.add(host.child.pid);
    await host.configure(config);
    await apply("server", { name: "s1", cpuCores: 16, memoryGib: 64, storageGib: 1000 });
    await apply("baremetal_group", { name: "g", servers: ["s1"] });
    await apply("tenant_quota", { tenant: "acme", group: "g", cpuCores: 8 });
  }

  /**
   * Starts a create that hangs (no timeout) and resolves once the VM is on the cluster, waiting
   * to become ready; `failed` is the create's failure (a promise in an object: an async function
   * returning it would wait for it).
   */
  async function hangingCreate(): Promise<{ failed: Promise<string> }> {
    const create = failureOf(host.create(await checked("virtual_machine", web)));
    await waitUntil(() => vmOnCluster() !== undefined, 10_000, "the VM never reached the cluster");
    assert.deepEqual((await ledgerView()).unsettled, ["virtual_machine acme/web-1 pending"], "the create is in flight, its reservation held");
    return { failed: create };
  }

  before(async () => {
    texts = await serializedProviders();
  });
  beforeEach(async () => {
    fake = await startFakeKube({ neverReady: new Set(["VirtualMachine"]) });
    home = tempDir("pulumi-deadlines-");
    config = { "otterscale:ledgerUrl": `sqlite://${path.join(home, "ledger.db")}`, "otterscale:controllerUrl": `kubernetes://?kubeconfig=${await fake.writeKubeconfig(home)}` };
    await initStackLedger(home);
  });
  afterEach(async () => {
    await host?.stop().catch(() => undefined);
    killAll(started);
    started.clear();
    await fake.stop();
  });

  it("customTimeouts.create of 2 s: a timeout error within 3 s, the reservation released, the VM removed", async () => {
    await startHost();
    const inputs = await checked("virtual_machine", web);
    const t0 = Date.now();
    const msg = await failureOf(host.create(inputs, 2));
    const took = Date.now() - t0;
    assert.ok(took < 3000, `returned after ${took} ms`);
    assert.ok(took > 1500, `returned after ${took} ms: the 2 s timeout was not what ended it`);
    assert.match(msg, /^timed out waiting for VirtualMachine acme\/web-1 to become ready \(.*\); the reservation was released$/);
    assert.deepEqual(await ledgerView(), { unsettled: [], cpuUsed: 0, vmsUsed: 0 });
    await waitUntil(() => vmOnCluster() === undefined, 5000, "the half-made VM was left on the cluster");
  });

  it("customTimeouts.update and .delete: each returns within 3 s and the ledger settles by what the cluster runs", async () => {
    await startHost();
    fake.options.neverReady.delete("VirtualMachine");
    const inputs = await checked("virtual_machine", web);
    const made = await host.create(inputs);
    fake.options.neverReady.add("VirtualMachine"); // the operator never catches up with the new spec

    let t0 = Date.now();
    const updated = await failureOf(host.update(made.id, made.outs, { ...inputs, cpuCores: 4 }, 2));
    assert.ok(Date.now() - t0 < 3000, `update returned after ${Date.now() - t0} ms`);
    assert.match(updated, /timed out waiting for VirtualMachine acme\/web-1/);
    // The cluster runs the new spec (applied, just not ready): the ledger charges it, nothing held.
    assert.deepEqual(await ledgerView(), { unsettled: [], cpuUsed: 4, vmsUsed: 1 });

    fake.options.deleteDelayMs = 600_000; // the deletion never completes
    t0 = Date.now();
    const deleted = await failureOf(host.delete(made.id, made.outs, 2));
    assert.ok(Date.now() - t0 < 3000, `delete returned after ${Date.now() - t0} ms`);
    assert.match(deleted, /timed out waiting for VirtualMachine acme\/web-1 to be deleted/);
    // Still on the cluster: the object is kept in the ledger, active and charged.
    assert.deepEqual(await ledgerView(), { unsettled: [], cpuUsed: 4, vmsUsed: 1 });
  });

  it("Cancel during a hang: the create fails at once and releases its reservation; later mutations are refused", async () => {
    await startHost();
    const create = await hangingCreate();
    const t0 = Date.now();
    await host.cancel();
    const msg = await create.failed;
    assert.ok(Date.now() - t0 < 2000, `the create returned ${Date.now() - t0} ms after Cancel`);
    assert.match(msg, /the reservation was released$/);
    assert.deepEqual(await ledgerView(), { unsettled: [], cpuUsed: 0, vmsUsed: 0 });
    await waitUntil(() => vmOnCluster() === undefined, 5000, "the half-made VM was left on the cluster");
    // The update is being cancelled: nothing new starts, nothing is reserved.
    const refused = await failureOf(host.create(await checked("virtual_machine", { ...web, name: "web-2" })));
    assert.equal(refused, "create virtual_machine acme/web-2: not started, because Pulumi cancelled the update; nothing was changed");
    assert.deepEqual(await ledgerView(), { unsettled: [], cpuUsed: 0, vmsUsed: 0 });
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} during a hang: the host settles the reservation, then exits`, async () => {
      await startHost();
      const create = await hangingCreate();
      const exited = new Promise<number | null>((resolve) => host.child.once("exit", (code) => resolve(code)));
      host.child.kill(signal);
      await create.failed; // one way or another: settled, or the host went away
      assert.equal(await exited, signal === "SIGTERM" ? 143 : 130);
      assert.deepEqual(await ledgerView(), { unsettled: [], cpuUsed: 0, vmsUsed: 0 });
      await waitUntil(() => vmOnCluster() === undefined, 5000, "the half-made VM was left on the cluster");
    });
  }

  it("Pulumi gone (killed while the host waits, through its shell shim): the host settles and exits within 5 s", async () => {
    // As Pulumi starts it: `pulumi-resource-pulumi-nodejs` (sh, no exec) runs node with the host.
    const shim = path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json")), "pulumi-resource-pulumi-nodejs");
    await startHost(["sh", "-c", `"${shim}" 127.0.0.1:1 & wait`]);
    const pulumi = host.child.pid!;
    const [shimPid] = childrenOf(pulumi);
    const [hostPid] = childrenOf(shimPid);
    assert.ok(shimPid && hostPid, "sh -> shim -> node");
    for (const pid of [shimPid, hostPid]) started.add(pid);
    const create = await hangingCreate();
    process.kill(pulumi, "SIGKILL");
    await waitUntil(() => !alive(hostPid), 5000, `the host (PID ${hostPid}) still runs 5 s after Pulumi was killed`);
    await create.failed;
    assert.deepEqual(await ledgerView(), { unsettled: [], cpuUsed: 0, vmsUsed: 0 });
    await waitUntil(() => vmOnCluster() === undefined, 5000, "the half-made VM was left on the cluster");
  });
});
