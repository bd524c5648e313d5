/**
 * The engine through the kubernetes adapter against the fake API server: what a user's
 * `terraform apply` / `pulumi up` does with `controller_url = "kubernetes://..."`.
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { Engine } from "../../provider/src/engine/engine";
import { openControllers } from "../../provider/src/controllers/registry";
import { openEngine } from "../../provider/src/api";
import { openLedger } from "../../provider/src/ledger/open";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { FakeKubeApiServer, startFakeKube, type FakeKubeOptions } from "../support/fake-kube-apiserver";
import { testTempDir } from "../support/temp";

const server = (name: string, extra: Record<string, unknown> = {}) => ({ name, cpu_cores: 16, memory_gib: 64, storage_gib: 1000, ...extra });
const vm = (name: string, extra: Record<string, unknown> = {}) => ({ name, tenant: "acme", group: "g", cpu_cores: 2, memory_gib: 4, disk_gib: 10, ...extra });

async function failure(p: Promise<unknown>): Promise<OtterscaleError> {
  try {
    await p;
  } catch (e) {
    assert.ok(OtterscaleError.isInstance(e), `expected an OtterscaleError, got ${String(e)}`);
    return e;
  }
  throw new Error("expected the operation to fail");
}

describe("engine through the kubernetes adapter", function () {
  this.timeout(60_000);
  let home: string;
  let fake: FakeKubeApiServer;
  let engine: Engine;
  let controllerUrl: string;

  async function start(options: FakeKubeOptions = {}): Promise<void> {
    fake = await startFakeKube(options);
    controllerUrl = `kubernetes://?kubeconfig=${await fake.writeKubeconfig(home)}`;
    engine = await openEngine({ home, ledgerUrl: `sqlite://${path.join(home, "ledger.db")}`, controllerUrl });
  }

  async function seed(): Promise<void> {
    for (const [i, name] of ["s1", "s2", "s3"].entries()) await engine.create("server", server(name, { rack: `r${i + 1}` }));
    await engine.create("baremetal_group", { name: "g", servers: ["s1", "s2", "s3"] });
    await engine.create("tenant_quota", { tenant: "acme", group: "g", cpu_cores: 32, memory_gib: 128, storage_gib: 2000 });
  }

  const unsettled = () => engine.ledger.read((tx) => tx.list({ states: ["pending", "updating", "deleting"] }));
  const used = async () => {
    const q = (await engine.read("tenant_quota", "acme/g"))!;
    return { cpu: q.used_cpu_cores, vms: q.used_virtual_machines, storage: q.used_storage_gib };
  };

  beforeEach(async () => {
    home = testTempDir("k8s-engine-");
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    await fake?.stop();
    await fs.rm(home, { recursive: true, force: true });
  });

  it("create / read / update / delete of all six kinds land on the cluster", async () => {
    await start();
    await seed();
    const created = {
      vm: await engine.create("virtual_machine", vm("web-1"), { timeoutMs: 10_000 }),
      vc: await engine.create("vcluster", { name: "dev", tenant: "acme", group: "g" }, { timeoutMs: 10_000 }),
      pool: await engine.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 100, deletion_protection: false }, { timeoutMs: 10_000 }),
    };
    assert.equal(created.vm.status, "Running");
    assert.equal(created.vc.status, "Running");
    assert.equal(created.pool.status, "Ready");
    const onCluster = () => ({
      hosts: fake.objects("metal3.io/v1alpha1", "BareMetalHost").map((o) => o.metadata.name),
      groups: fake.objects("inventory.otterscale.io/v1alpha1", "ServerGroup").map((o) => o.metadata.name),
      quotas: fake.objects("v1", "ResourceQuota").map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      vms: fake.objects("kubevirt.io/v1", "VirtualMachine").map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      releases: fake.objects("helm.toolkit.fluxcd.io/v2", "HelmRelease").map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      pools: fake.objects("ceph.rook.io/v1", "CephBlockPool").map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    });
    assert.deepEqual(onCluster(), {
      hosts: ["s1", "s2", "s3"],
      groups: ["g"],
      quotas: ["acme/otterscale-g"],
      vms: ["acme/web-1"],
      releases: ["acme/dev"],
      pools: ["rook-ceph/acme-data"],
    });
    // the VM is pinned to the server placement chose
    const live = fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1")!;
    assert.deepEqual((live.spec as any).template.spec.nodeSelector, { "kubernetes.io/hostname": created.vm.server });

    // read
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.status, "Running");
    assert.equal((await engine.read("block_pool", "acme/data"))!.status, "Ready");
    assert.equal((await engine.read("server", "s1"))!.status, "Ready");

    // update every kind
    await engine.update("server", "s1", server("s1", { rack: "r1", labels: { pool: "fast" } }));
    await engine.update("baremetal_group", "g", { name: "g", servers: ["s1", "s2", "s3"], description: "all" });
    await engine.update("tenant_quota", "acme/g", { tenant: "acme", group: "g", cpu_cores: 40, memory_gib: 128, storage_gib: 2000 });
    const stopped = await engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 4, run_strategy: "Halted" }), { timeoutMs: 10_000 });
    assert.equal(stopped.status, "Stopped");
    assert.equal((await engine.update("vcluster", "acme/dev", { name: "dev", tenant: "acme", group: "g", paused: true }, { timeoutMs: 10_000 })).status, "Paused");
    await engine.update("block_pool", "acme/data", { name: "data", tenant: "acme", group: "g", size_gib: 200, deletion_protection: false }, { timeoutMs: 10_000 });
    assert.deepEqual((fake.object("metal3.io/v1alpha1", "BareMetalHost", "otterscale-inventory", "s1")!.metadata.labels as Record<string, string>).pool, "fast");
    assert.equal((fake.object("inventory.otterscale.io/v1alpha1", "ServerGroup", "otterscale-inventory", "g")!.spec as any).description, "all");
    assert.equal((fake.object("v1", "ResourceQuota", "acme", "otterscale-g")!.spec as any).hard["requests.cpu"], "40");
    assert.equal((fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1")!.spec as any).template.spec.domain.cpu.cores, 4);
    assert.equal((fake.object("helm.toolkit.fluxcd.io/v2", "HelmRelease", "acme", "dev")!.spec as any).values.controlPlane.statefulSet.highAvailability.replicas, 0);
    assert.equal((fake.object("ceph.rook.io/v1", "CephBlockPool", "rook-ceph", "acme-data")!.spec as any).quotas.maxSize, "200Gi");
    assert.deepEqual(await used(), { cpu: 4 + 1, vms: 1, storage: 10 + 5 + 200 });

    // delete everything, dependants first
    await engine.delete("virtual_machine", "acme/web-1", { timeoutMs: 10_000 });
    await engine.delete("vcluster", "acme/dev", { timeoutMs: 10_000 });
    await engine.delete("block_pool", "acme/data", { timeoutMs: 10_000 });
    await engine.delete("tenant_quota", "acme/g", { timeoutMs: 10_000 });
    await engine.delete("baremetal_group", "g", { timeoutMs: 10_000 });
    for (const s of ["s1", "s2", "s3"]) await engine.delete("server", s, { timeoutMs: 10_000 });
    assert.deepEqual(onCluster(), { hosts: [], groups: [], quotas: [], vms: [], releases: [], pools: [] });
    assert.deepEqual(await unsettled(), []);
  });

  it("an update whose readiness times out after the PATCH landed: the ledger charges what the cluster runs", async () => {
    await start();
    await seed();
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 2 }), { timeoutMs: 10_000 });
    fake.options.neverReady.add("VirtualMachine"); // KubeVirt never catches up with the new generation
    const err = await failure(engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 12 }), { timeoutMs: 500 }));
    assert.equal(err.code, "timeout");
    await engine.idle(); // the settlement of a late controller call, if any
    const live = fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1") as any;
    assert.equal(live.spec.template.spec.domain.cpu.cores, 12, "the PATCH landed");
    assert.match(err.message, /the backend already runs the new spec, so the ledger now charges it/);
    assert.deepEqual(await unsettled(), []);
    const charged = await engine.ledger.read((tx) => tx.usage("acme", "g"));
    assert.equal(charged.resources.cpu, 12_000, "the ledger charges the 12 cores the cluster runs, not the old 2");
    assert.equal((await engine.ledger.read((tx) => tx.allocations({ consumer: { kind: "virtual_machine", key: "acme/web-1" } })))[0].resources.cpu, 12_000);
    const ops = (await engine.ledger.audit()).filter((e) => e.key === "acme/web-1").map((e) => e.op);
    assert.deepEqual(ops, ["reserve", "commit", "update", "commit-observed"]);
    fake.options.neverReady.delete("VirtualMachine");
    // Refresh shows the truth too: 12 cores in state, nothing to change for a config that says 12.
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.cpu_cores, 12);
  });

  it("a controller_url pointing at another (empty) cluster is refused, never read as 'everything was deleted'", async () => {
    await start();
    await seed();
    await engine.create("virtual_machine", vm("web-1"), { timeoutMs: 10_000 });
    const marker = fake.object("v1", "ConfigMap", "otterscale-inventory", "otterscale-ledger") as { data?: Record<string, string> };
    assert.equal(marker.data?.ledger_id, engine.ledgerId, "the first write claimed the cluster for this ledger");
    await engine.close();
    const other = await startFakeKube();
    try {
      await fs.mkdir(path.join(home, "other"));
      const wrongUrl = `kubernetes://?kubeconfig=${await other.writeKubeconfig(path.join(home, "other"))}`;
      const wrong = await openEngine({ home, ledgerUrl: `sqlite://${path.join(home, "ledger.db")}`, controllerUrl: wrongUrl });
      try {
        const audit = (await wrong.ledger.audit()).length;
        const err = await failure(wrong.read("virtual_machine", "acme/web-1"));
        assert.equal(err.code, "config");
        assert.match(err.message, /holds nothing of ledger .* which records \d+ objects; check controller_url/);
        assert.equal((await wrong.ledger.audit()).length, audit, "nothing written");
        assert.equal(other.objects("kubevirt.io/v1", "VirtualMachine").length, 0, "nothing written to the other cluster");
        assert.equal(other.object("v1", "ConfigMap", "otterscale-inventory", "otterscale-ledger"), undefined, "the other cluster is not claimed by a read");
      } finally {
        await wrong.close();
      }
    } finally {
      await other.stop();
    }
  });

  it("a cluster that belongs to another ledger is refused, naming both ledgers", async () => {
    await start();
    await seed();
    const owner = engine.ledgerId;
    const otherHome = path.join(home, "other-estate");
    await fs.mkdir(otherHome);
    const stranger = await openEngine({ home: otherHome, ledgerUrl: `sqlite://${path.join(otherHome, "ledger.db")}`, controllerUrl });
    try {
      assert.notEqual(stranger.ledgerId, owner);
      const err = await failure(stranger.create("server", server("s9")));
      assert.equal(err.code, "config");
      assert.match(err.message, new RegExp(`belongs to ledger ${owner}, but ledger_url .* is ledger ${stranger.ledgerId}`));
      assert.equal(fake.object("metal3.io/v1alpha1", "BareMetalHost", "otterscale-inventory", "s9"), undefined, "nothing written");
      assert.deepEqual(await stranger.ledger.read((tx) => tx.list()), [], "nothing reserved");
    } finally {
      await stranger.close();
    }
  });

  it("drift: a hand-changed field shows in state; an object deleted on the cluster reads as gone but keeps its quota until released", async () => {
    await start();
    await seed();
    await engine.create("virtual_machine", vm("web-1"), { timeoutMs: 10_000 });
    fake.edit("kubevirt.io/v1", "VirtualMachine", "acme", "web-1", (o) => {
      (o.spec as any).template.spec.domain.cpu.cores = 8;
    });
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.cpu_cores, 8);
    assert.deepEqual(await used(), { cpu: 2, vms: 1, storage: 10 });
    fake.remove("kubevirt.io/v1", "VirtualMachine", "acme", "web-1");
    assert.equal(await engine.read("virtual_machine", "acme/web-1"), undefined);
    assert.deepEqual(await used(), { cpu: 2, vms: 1, storage: 10 }, "a read writes nothing: the allocation stays held");
    const found = await engine.reconcileBackend(false);
    assert.deepEqual(found.map((f) => [f.finding, f.key]), [["missing", "acme/web-1"]]);
    await engine.reconcileBackend(true);
    assert.deepEqual(await used(), { cpu: 0, vms: 0, storage: 0 });
    assert.equal((await engine.read("server", "s1"))!.allocated_cpu_cores, 0);
  });

  it("cluster down: a clear error and no leaked reservation", async () => {
    await start();
    await seed();
    await engine.create("virtual_machine", vm("web-0"), { timeoutMs: 10_000 });
    const ledgerUsage = () => engine.ledger.read((tx) => tx.usage("acme", "g"));
    const before = await ledgerUsage();
    await fake.stop();
    const err = await failure(engine.create("virtual_machine", vm("web-1", { user_data: "#cloud-config\npassword: s3cr3t-ud" }), { timeoutMs: 10_000 }));
    assert.equal(err.code, "controller_failed");
    assert.match(err.message, /^create virtual_machine acme\/web-1: the backend controller failed \(read VirtualMachine acme\/web-1: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*\); the reservation was released$/);
    assert.ok(!err.message.includes(fake.options.token) && !err.message.includes("s3cr3t-ud"));
    // the ledger itself (the engine's reads would ask the dead cluster): usage unchanged, nothing pending
    assert.deepEqual(await ledgerUsage(), before);
    assert.equal(before.virtualMachines, 1);
    assert.deepEqual(await unsettled(), []);
    assert.equal(await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/web-1")), undefined);
  });

  it("readiness timeout: timeout error, reservation released, the half-made VM removed", async () => {
    await start({ neverReady: new Set(["VirtualMachine"]) });
    await seed();
    const err = await failure(engine.create("virtual_machine", vm("web-1"), { timeoutMs: 500 }));
    assert.equal(err.code, "timeout");
    assert.equal(err.message, "timed out waiting for VirtualMachine acme/web-1 to become ready (last status: Provisioning, want Running); the reservation was released");
    assert.deepEqual(await used(), { cpu: 0, vms: 0, storage: 0 });
    assert.deepEqual(await unsettled(), []);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1"), undefined);
    const ops = (await engine.ledger.audit()).filter((e) => e.key === "acme/web-1").map((e) => e.op);
    assert.deepEqual(ops, ["reserve", "release"]);
  });

  it("a 409 conflict and a 503 are retried; the create succeeds", async () => {
    await start();
    await seed();
    fake.failNext(1, 409, { method: "PATCH", path: /virtualmachines/ });
    fake.failNext(1, 503, { method: "GET", path: /virtualmachines\/web-1$/ });
    const state = await engine.create("virtual_machine", vm("web-1"), { timeoutMs: 10_000 });
    assert.equal(state.status, "Running");
    assert.deepEqual(
      fake.requests.filter((r) => r.status === 409 || r.status === 503).map((r) => `${r.method} ${r.status}`),
      ["GET 503", "PATCH 409"],
    );
    assert.deepEqual(await used(), { cpu: 2, vms: 1, storage: 10 });
  });

  it("a failed update rolls the ledger back; a failed delete keeps the object", async () => {
    await start();
    await seed();
    await engine.create("virtual_machine", vm("web-1"), { timeoutMs: 10_000 });
    fake.failNext(1, 403, { method: "PATCH", path: /virtualmachines/ });
    const err = await failure(engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 6 }), { timeoutMs: 10_000 }));
    assert.match(err.message, /403 Forbidden/);
    assert.deepEqual(await used(), { cpu: 2, vms: 1, storage: 10 });
    fake.failNext(1, 403, { method: "DELETE" });
    await failure(engine.delete("virtual_machine", "acme/web-1", { timeoutMs: 10_000 }));
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.status, "Running");
    assert.deepEqual(await unsettled(), []);
  });

  it("openEngine with the kubernetes URL: a pending row left by a crash is adopted from the cluster", async () => {
    await start();
    await seed();
    await engine.create("virtual_machine", vm("web-1"), { timeoutMs: 10_000 });
    // Simulate a crash between apply and commit: the row is pending with an expired lease.
    await engine.ledger.transaction(async (tx) => {
      const r = (await tx.get("virtual_machine", "acme/web-1"))!;
      await tx.put({ ...r, state: "pending", opId: "dead-op", leaseExpires: 1, generation: r.generation + 1 });
      // Every ledger write is audited (the ledger refuses one that is not), simulated ones too.
      await tx.appendAudit({ at: Date.now(), op: "test-simulated-crash", kind: r.kind, key: r.key, tenant: r.tenant, grp: r.grp, delta: {}, opId: "dead-op" });
    });
    await engine.close();
    const ledger = await openLedger(`sqlite://${path.join(home, "ledger.db")}`);
    engine = new Engine(ledger, openControllers(controllerUrl), 60_000);
    const decisions = await engine.reconcile();
    assert.deepEqual(decisions.map((d) => `${d.key} ${d.action}`), ["acme/web-1 adopt"]);
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.status, "Running");
  });
});
