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

  // A refresh renders each object once and shares that rendering between the file comparison, the
  // drift check and `manifests` (render/index.ts sharedRendering). Shared within one read only:
  // an edit by hand or an apply between two refreshes, or one file edited among concurrent reads,
  // must still show.
  it("the concurrent reads of a refresh see hand edits and applies made between refreshes", async () => {
    const keys = ["web-1", "web-2", "web-3", "web-4"];
    for (const k of keys) await engine.create("virtual_machine", vm(k));
    const rel = (k: string) => `acme/virtual_machine/${k}.yaml`;
    const refresh = async () => {
      const states = await Promise.all(keys.map((k) => engine.read("virtual_machine", `acme/${k}`)));
      return Object.fromEntries(keys.map((k, i) => [k, { status: states[i]!.status, drift: engine.driftOf("virtual_machine", `acme/${k}`), manifests: states[i]!.manifests as string[] }]));
    };
    const clean = await refresh();
    for (const k of keys) assert.equal(clean[k].status, "Running", k);
    const onDisk = (k: string) => JSON.stringify(parse(fs.readFileSync(file(rel(k)), "utf8")));
    for (const k of keys) assert.deepEqual(clean[k].manifests, [onDisk(k)], `${k}: manifests is what the file holds`);

    // One file edited among reads that run together: only its read drifts.
    edit(rel("web-2"), (d) => (d.spec.template.spec.nodeSelector[HOST] = "s9"));
    const first = await refresh();
    assert.deepEqual(
      keys.map((k) => first[k].status),
      ["Running", "Drifted", "Running", "Running"],
    );
    assert.deepEqual(first["web-2"].drift, ['spec.template.spec.nodeSelector["kubernetes.io/hostname"]: rendered "s1", found "s9"']);
    assert.deepEqual(first["web-2"].manifests, clean["web-2"].manifests, "manifests come from the ledger, not the edited file");

    // Between two refreshes: web-2 put back as rendered, web-3 edited, web-4 resized by an apply.
    await engine.update("virtual_machine", "acme/web-2", vm("web-2"));
    edit(rel("web-3"), (d) => (d.spec.template.spec.domain.cpu.cores = 7));
    await engine.update("virtual_machine", "acme/web-4", vm("web-4", { memory_gib: 6 }));
    const second = await refresh();
    assert.deepEqual(
      keys.map((k) => second[k].status),
      ["Running", "Running", "Drifted", "Running"],
    );
    assert.deepEqual(second["web-3"].drift, ["spec.template.spec.domain.cpu.cores: rendered 2, found 7"]);
    assert.deepEqual(second["web-4"].manifests, [onDisk("web-4")], "the apply's new rendering, not the last refresh's");
    assert.notDeepEqual(second["web-4"].manifests, clean["web-4"].manifests);
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
