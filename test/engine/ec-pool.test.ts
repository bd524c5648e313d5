/**
 * An erasure-coded block pool with its replicated metadata pool: charged (size + 1 GiB), placed
 * (the metadata replicas' raw share rides on the chunks, in distinct failure domains) and rendered
 * (EC pool + metadata pool + StorageClass), through gitops and the kubernetes adapter.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import type { Engine } from "../../provider/src/engine/engine";
import { openEngine } from "../../provider/src/api";
import { FakeKubeApiServer, startFakeKube } from "../support/fake-kube-apiserver";
import { seedEstate, testEngine } from "../support/estate";
import { testTempDir } from "../support/temp";

const EC = { name: "archive", tenant: "acme", group: "g", size_gib: 1000, erasure_coded: { data_chunks: 2, coding_chunks: 1 }, failure_domain: "server", deletion_protection: false };

describe("engine: erasure-coded block pools (gitops)", () => {
  let engine: Engine;
  let home: string;
  beforeEach(async () => {
    ({ engine, home } = await testEngine());
    await seedEstate(engine);
  });
  afterEach(() => engine.close());

  it("charges size + the 1 GiB metadata pool, and places 3 chunks of 500 + 1 GiB on distinct servers", async () => {
    const pool = await engine.create("block_pool", EC);
    // raw: 3 chunks x (1000/2 data + 3 x 1 GiB metadata replicas / 3 chunks) = 3 x 501
    assert.equal(pool.raw_gib, 1503);
    const servers = pool.servers as string[];
    assert.equal(new Set(servers).size, 3, "distinct failure domains");
    for (const s of servers) assert.equal((await engine.read("server", s))!.allocated_storage_gib, 501);
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_storage_gib, 1001);
    const docs = parseAllDocuments(fs.readFileSync(path.join(home, "manifests", "acme", "block_pool", "archive.yaml"), "utf8")).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => `${d.kind} ${d.metadata.name}`), ["CephBlockPool acme-archive", "CephBlockPool acme-archive-metadata", "StorageClass acme-archive"]);
    assert.equal((await engine.read("block_pool", "acme/archive"))!.status, "Ready", "no drift on a fresh read");
  });

  it("the metadata pool counts against the storage quota", async () => {
    await engine.update("tenant_quota", "acme/g", { tenant: "acme", group: "g", storage_gib: 1000 });
    await assert.rejects(engine.create("block_pool", EC), /storage_gib requested 1001, used 0, limit 1000/);
    await engine.create("block_pool", { ...EC, size_gib: 999 });
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_storage_gib, 1000);
  });

  it("a replicated pool is charged its size only", async () => {
    const pool = await engine.create("block_pool", { name: "db", tenant: "acme", group: "g", size_gib: 100 });
    assert.equal(pool.raw_gib, 300);
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_storage_gib, 100);
  });
});

describe("engine: erasure-coded block pools through the kubernetes adapter", function () {
  this.timeout(60_000);
  let home: string;
  let fake: FakeKubeApiServer;
  let engine: Engine;
  beforeEach(async () => {
    home = testTempDir("k8s-ec-");
    fake = await startFakeKube();
    engine = await openEngine({ home, ledgerUrl: `sqlite://${path.join(home, "ledger.db")}`, controllerUrl: `kubernetes://?kubeconfig=${await fake.writeKubeconfig(home)}` });
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    await fake?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("applies both pools and the StorageClass, reads them without drift, reports a removed StorageClass as drift, and deletes all three", async () => {
    await seedEstate(engine);
    await engine.create("block_pool", EC, { timeoutMs: 10_000 });
    const names = () => ({
      pools: fake.objects("ceph.rook.io/v1", "CephBlockPool").map((o) => o.metadata.name).sort(),
      classes: fake.objects("storage.k8s.io/v1", "StorageClass").map((o) => o.metadata.name),
    });
    assert.deepEqual(names(), { pools: ["acme-archive", "acme-archive-metadata"], classes: ["acme-archive"] });
    const sc = fake.objects("storage.k8s.io/v1", "StorageClass")[0] as any;
    assert.deepEqual([sc.parameters.pool, sc.parameters.dataPool], ["acme-archive-metadata", "acme-archive"]);
    assert.equal((await engine.read("block_pool", "acme/archive"))!.status, "Ready");

    fake.edit("storage.k8s.io/v1", "StorageClass", undefined, "acme-archive", (o: any) => (o.parameters.dataPool = "elsewhere"));
    assert.equal((await engine.read("block_pool", "acme/archive"))!.status, "Drifted");
    assert.deepEqual(engine.driftOf("block_pool", "acme/archive"), ['StorageClass acme-archive: parameters.dataPool: rendered "acme-archive", found "elsewhere"']);

    await engine.delete("block_pool", "acme/archive", { timeoutMs: 10_000 });
    assert.deepEqual(names(), { pools: [], classes: [] });
  });
});
