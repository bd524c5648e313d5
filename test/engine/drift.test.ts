/**
 * Drift on every rendered value: a read compares the backend's copy with the manifest the engine
 * renders from the ledger, reports what changed, and never moves the ledger; an update with the
 * same spec re-applies the rendered manifest.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { Engine } from "../../provider/src/engine/engine";
import { openEngine } from "../../provider/src/api";
import { FakeKubeApiServer, startFakeKube } from "../support/fake-kube-apiserver";
import { seedEstate, testEngine, vm } from "../support/estate";
import { testTempDir } from "../support/temp";

const HOST = "kubernetes.io/hostname";

describe("engine: drift on every rendered value (gitops)", () => {
  let engine: Engine;
  let home: string;
  beforeEach(async () => {
    ({ engine, home } = await testEngine());
    await seedEstate(engine, { server: { gpus: [{ model: "a100", count: 2 }] }, quota: { gpus: 2 } });
  });
  afterEach(() => engine.close());

  const file = (rel: string) => path.join(home, "manifests", rel);
  const edit = (rel: string, mutate: (doc: any) => void) => {
    const doc = parse(fs.readFileSync(file(rel), "utf8"));
    mutate(doc);
    fs.writeFileSync(file(rel), stringify(doc));
  };
  const serversOf = async (key: string) => engine.ledger.read(async (tx) => (await tx.get("virtual_machine", key))!.computed.servers);

  it("a fresh object of every kind reads without drift (user data compared by digest)", async () => {
    await engine.create("virtual_machine", vm("web-1", { user_data: "#cloud-config\n", gpu_model: "a100", gpu_count: 1, image: "quay.io/containerdisks/ubuntu:24.04" }));
    await engine.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 10 });
    await engine.create("vcluster", { name: "dev", tenant: "acme", group: "g" });
    const objects: [Parameters<Engine["read"]>[0], string][] = [
      ["virtual_machine", "acme/web-1"],
      ["block_pool", "acme/data"],
      ["vcluster", "acme/dev"],
      ["tenant_quota", "acme/g"],
      ["baremetal_group", "g"],
      ["server", "s1"],
    ];
    for (const [kind, key] of objects) {
      const s = await engine.read(kind, key);
      assert.notEqual(s!.status, "Drifted", `${kind} ${key}: ${engine.driftOf(kind, key).join("; ")}`);
    }
    assert.deepEqual(engine.driftOf("virtual_machine", "acme/web-1"), []);
  });

  it("a hand-edited nodeSelector reads as drift naming the value; the ledger keeps its placement; an update re-applies it", async () => {
    const created = await engine.create("virtual_machine", vm("web-1"));
    assert.equal(created.server, "s1");
    edit("acme/virtual_machine/web-1.yaml", (d) => (d.spec.template.spec.nodeSelector[HOST] = "s2"));

    const read = await engine.read("virtual_machine", "acme/web-1");
    assert.equal(read!.status, "Drifted");
    assert.equal(read!.server, "s1", "the ledger's placement, not the edited one");
    assert.deepEqual(engine.driftOf("virtual_machine", "acme/web-1"), ['spec.template.spec.nodeSelector["kubernetes.io/hostname"]: rendered "s1", found "s2"']);
    assert.deepEqual(await serversOf("acme/web-1"), ["s1"], "a read never moves the ledger");
    assert.equal((await engine.read("server", "s2"))!.allocated_cpu_cores, 0);

    const healed = await engine.update("virtual_machine", "acme/web-1", vm("web-1"));
    assert.equal(healed.server, "s1");
    assert.equal(parse(fs.readFileSync(file("acme/virtual_machine/web-1.yaml"), "utf8")).spec.template.spec.nodeSelector[HOST], "s1");
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.status, "Running");
    assert.deepEqual(engine.driftOf("virtual_machine", "acme/web-1"), []);
  });

  it("values no attribute carries drift too: a GPU device name, a removed label, a quota's device cap", async () => {
    await engine.create("virtual_machine", vm("train", { gpu_model: "a100", gpu_count: 1 }));
    edit("acme/virtual_machine/train.yaml", (d) => {
      d.spec.template.spec.domain.devices.gpus[0].deviceName = "nvidia.com/gpu";
      delete d.metadata.labels["otterscale.io/server"];
      d.status = { printableStatus: "Running" }; // what the backend adds is not drift
    });
    assert.equal((await engine.read("virtual_machine", "acme/train"))!.status, "Drifted");
    assert.deepEqual(engine.driftOf("virtual_machine", "acme/train"), [
      'metadata.labels["otterscale.io/server"]: rendered "s1", found nothing',
      'spec.template.spec.domain.devices.gpus[0].deviceName: rendered "nvidia.com/A100", found "nvidia.com/gpu"',
    ]);
    edit("acme/tenant_quota/g.yaml", (d) => delete d.spec.hard["requests.nvidia.com/A100"]);
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.status, "Drifted");
  });
});

describe("engine: drift through the kubernetes adapter", function () {
  this.timeout(60_000);
  let home: string;
  let fake: FakeKubeApiServer;
  let engine: Engine;
  beforeEach(async () => {
    home = testTempDir("k8s-drift-");
    fake = await startFakeKube();
    engine = await openEngine({ home, ledgerUrl: `sqlite://${path.join(home, "ledger.db")}`, controllerUrl: `kubernetes://?kubeconfig=${await fake.writeKubeconfig(home)}` });
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    await fake?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("kubectl edit of the nodeSelector reads as drift; the API server's own fields do not; an update heals it", async () => {
    await seedEstate(engine, { servers: 2 });
    await engine.create("virtual_machine", vm("web-1"), { timeoutMs: 10_000 });
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.status, "Running");
    fake.edit("kubevirt.io/v1", "VirtualMachine", "acme", "web-1", (o: any) => (o.spec.template.spec.nodeSelector[HOST] = "s2"));
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.status, "Drifted");
    assert.deepEqual(engine.driftOf("virtual_machine", "acme/web-1"), ['spec.template.spec.nodeSelector["kubernetes.io/hostname"]: rendered "s1", found "s2"']);
    await engine.update("virtual_machine", "acme/web-1", vm("web-1"), { timeoutMs: 10_000 });
    assert.equal((fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1")!.spec as any).template.spec.nodeSelector[HOST], "s1");
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.status, "Running");
  });
});
