import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { BACKENDS, ledgerText, manifests, rejects, seedEstate, testEngine, vm } from "../support/estate";
import type { Engine } from "../../provider/src/engine/engine";

for (const backend of BACKENDS) describe(`engine lifecycle (${backend} ledger + gitops)`, () => {
  let engine: Engine;
  let home: string;
  beforeEach(async () => {
    ({ engine, home } = await testEngine(undefined, backend));
    await seedEstate(engine, { quota: { cpu_cores: 16, memory_gib: 64, storage_gib: 1000, max_virtual_machines: 5 } });
  });
  afterEach(() => engine.close());

  const file = (rel: string) => path.join(home, "manifests", rel);
  const manifestOf = (kind: string, key: string) => {
    const rel = manifests(home).find((m) => m.includes(kind) && m.endsWith(`${key.split("/").pop()}.yaml`));
    assert.ok(rel, `no manifest for ${kind} ${key} in ${manifests(home).join(", ")}`);
    return { rel, doc: parse(fs.readFileSync(file(rel), "utf8")) };
  };

  it("creates a VM: quota charged, server chosen by binpack, manifest pinned by hostname", async () => {
    const s = await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4, memory_gib: 8, disk_gib: 20 }));
    // binpack over four empty identical servers: tie broken by name -> s1
    assert.equal(s.server, "s1");
    assert.equal(s.rack, "r1");
    assert.equal(s.status, "Running");
    const q = await engine.read("tenant_quota", "acme/g");
    assert.deepEqual(
      [q!.used_cpu_cores, q!.used_memory_gib, q!.used_storage_gib, q!.used_virtual_machines],
      [4, 8, 20, 1],
    );
    const { doc } = manifestOf("virtual_machine", "web-1");
    assert.equal(doc.spec.template.spec.nodeSelector["kubernetes.io/hostname"], "s1");
    const srv = await engine.read("server", "s1");
    assert.deepEqual([srv!.allocated_cpu_cores, srv!.allocated_memory_gib, srv!.allocated_storage_gib], [4, 8, 20]);
  });

  it("retrying a create with the same spec is idempotent; a different spec is a clear error", async () => {
    const a = await engine.create("virtual_machine", vm("web-1"));
    const b = await engine.create("virtual_machine", vm("web-1"));
    assert.equal(b.server, a.server);
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_virtual_machines, 1);
    const err = await rejects(engine.create("virtual_machine", vm("web-1", { cpu_cores: 3 })));
    assert.equal(err.code, "already_exists");
    assert.match(err.message, /import it \(ID "acme\/web-1"/);
  });

  it("over-quota create fails naming tenant, group, dimension, requested, used and limit", async () => {
    await engine.create("virtual_machine", vm("big", { cpu_cores: 12 }));
    const err = await rejects(engine.create("virtual_machine", vm("more", { cpu_cores: 6 })));
    assert.equal(err.code, "quota_exceeded");
    assert.match(err.message, /tenant acme in group g: cpu_cores requested 6, used 12, limit 16/);
    assert.equal(manifests(home).filter((m) => m.includes("more")).length, 0);
  });

  it("a tenant without a quota in the group cannot place anything", async () => {
    const err = await rejects(engine.create("virtual_machine", vm("x", { tenant: "other" })));
    assert.equal(err.code, "quota_exceeded");
    assert.match(err.message, /tenant other has no quota in group g/);
  });

  it("resizes in place when it fits, refuses when the server is full (no silent migration)", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    const s = await engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 8 }));
    assert.equal(s.server, "s1");
    assert.equal((await engine.read("server", "s1"))!.allocated_cpu_cores, 8);
    const { doc } = manifestOf("virtual_machine", "web-1");
    assert.equal(doc.spec.template.spec.domain.cpu.cores, 8);
    // Fill s1 with another tenant's VM so that growth no longer fits on s1 (16 cores).
    await engine.create("tenant_quota", { tenant: "beta", group: "g" });
    await engine.create("virtual_machine", vm("filler", { tenant: "beta", cpu_cores: 8, placement: { server: "s1" } }));
    const err = await rejects(engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 10 })));
    assert.equal(err.code, "unplaceable");
    assert.match(err.message, /cannot resize virtual_machine acme\/web-1 in place on server s1/);
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.cpu_cores, 8, "unchanged after the refusal");
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 8);
  });

it("a server cannot leave a group that runs workloads on it by relabelling, nor be deleted while a group lists it", async () => {
    await engine.create("server", { name: "gpu-1", labels: { pool: "gpu" }, cpu_cores: 8, memory_gib: 32, storage_gib: 100 });
    await engine.create("baremetal_group", { name: "gpu", selector: { labels: { pool: "gpu" } } });
    await engine.create("tenant_quota", { tenant: "acme", group: "gpu" });
    await engine.create("virtual_machine", vm("train", { group: "gpu" }));
    let err = await rejects(engine.update("server", "gpu-1", { name: "gpu-1", labels: { pool: "cpu" }, cpu_cores: 8, memory_gib: 32, storage_gib: 100 }));
    assert.equal(err.code, "in_use");
    assert.match(err.message, /group gpu: the change removes servers that hold its workloads: virtual_machine acme\/train on gpu-1/);
    assert.deepEqual((await engine.read("baremetal_group", "gpu"))!.member_servers, ["gpu-1"]);
    // s4 holds nothing but group g lists it by name.
    err = await rejects(engine.delete("server", "s4"));
    assert.equal(err.code, "in_use");
    assert.match(err.message, /cannot delete server s4: group\(s\) g list it in servers/);
  });

  it("an update never moves a VM: new anti-affinity, racks or zones its server breaks are refused", async () => {
    const a = await engine.create("virtual_machine", vm("a", { placement: { anti_affinity_group: "web" } }));
    const b = await engine.create("virtual_machine", vm("b"));
    assert.equal(b.server, a.server, "binpack put both on the same server");
    let err = await rejects(engine.update("virtual_machine", "acme/b", vm("b", { placement: { anti_affinity_group: "web" } })));
    assert.equal(err.code, "unplaceable");
    assert.match(err.message, /acme\/b runs on s1, which the new placement rules exclude.*replace the VM/);
    err = await rejects(engine.update("virtual_machine", "acme/b", vm("b", { placement: { racks: ["r2"] } })));
    assert.match(err.message, /runs on s1, which the new placement rules exclude/);
    // Rules its server satisfies are fine, and the VM's own membership does not count against it.
    await engine.update("virtual_machine", "acme/a", vm("a", { cpu_cores: 3, placement: { anti_affinity_group: "web", racks: ["r1"] } }));
    assert.equal((await engine.read("virtual_machine", "acme/b"))!.placement, undefined);
  });

    it("changing a force-new attribute is refused in place", async () => {
    await engine.create("virtual_machine", vm("web-1"));
    const err = await rejects(engine.update("virtual_machine", "acme/web-1", vm("web-1", { group: "other" })));
    assert.equal(err.code, "invalid_input");
  });

  it("deletes release quota and capacity; deleting twice is fine", async () => {
    await engine.create("virtual_machine", vm("web-1"));
    await engine.delete("virtual_machine", "acme/web-1");
    await engine.delete("virtual_machine", "acme/web-1");
    const q = await engine.read("tenant_quota", "acme/g");
    assert.deepEqual([q!.used_cpu_cores, q!.used_virtual_machines], [0, 0]);
    assert.equal(manifests(home).some((m) => m.includes("web-1")), false);
  });

  it("refuses to delete a server with allocations, naming the consumers", async () => {
    await engine.create("virtual_machine", vm("web-1", { placement: { server: "s2" } }));
    const err = await rejects(engine.delete("server", "s2"));
    assert.equal(err.code, "in_use");
    assert.match(err.message, /virtual_machine acme\/web-1/);
  });

  it("refuses to shrink a server below what is allocated, naming the consumers", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 10, placement: { server: "s2" } }));
    const err = await rejects(engine.update("server", "s2", { name: "s2", rack: "r2", zone: "z1", cpu_cores: 8, memory_gib: 64, storage_gib: 1000 }));
    assert.equal(err.code, "in_use");
    assert.match(err.message, /cpu_cores capacity 8 would be below the 10 allocated.*virtual_machine acme\/web-1/);
    // Raising the overcommit ratio makes the same shrink legal: (8 - 0) * 1.5 = 12 >= 10
    await engine.update("server", "s2", { name: "s2", rack: "r2", zone: "z1", cpu_cores: 8, cpu_allocation_ratio: 1.5, memory_gib: 64, storage_gib: 1000 });
  });

  it("refuses to delete a group referenced by quotas, and a quota while the tenant holds allocations", async () => {
    let err = await rejects(engine.delete("baremetal_group", "g"));
    assert.equal(err.code, "in_use");
    assert.match(err.message, /tenant_quota acme\/g/);
    await engine.create("virtual_machine", vm("web-1"));
    err = await rejects(engine.delete("tenant_quota", "acme/g"));
    assert.equal(err.code, "in_use");
    assert.match(err.message, /virtual_machine acme\/web-1/);
  });

  it("lowering a quota below current use fails", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 6 }));
    const err = await rejects(engine.update("tenant_quota", "acme/g", { tenant: "acme", group: "g", cpu_cores: 4 }));
    assert.equal(err.code, "in_use");
    assert.match(err.message, /cpu_cores limit 4 < used 6/);
  });

  it("block pool deletion_protection blocks delete until turned off", async () => {
    const p = await engine.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 100, failure_domain: "rack", replicas: 2 });
    assert.deepEqual(p.servers, ["s1", "s2"]); // binpack, distinct racks r1/r2, ties by name
    assert.equal(p.raw_gib, 200);
    const err = await rejects(engine.delete("block_pool", "acme/data"));
    assert.equal(err.code, "protected");
    await engine.update("block_pool", "acme/data", { name: "data", tenant: "acme", group: "g", size_gib: 100, failure_domain: "rack", replicas: 2, deletion_protection: false });
    await engine.delete("block_pool", "acme/data");
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_block_pools, 0);
  });

  it("a vCluster charges replicas x control plane + workload quota and spreads replicas over servers", async () => {
    const v = await engine.create("vcluster", {
      name: "dev",
      tenant: "acme",
      group: "g",
      control_plane_replicas: 3,
      control_plane_cpu_cores: 1,
      control_plane_memory_gib: 2,
      workload_cpu_cores: 4,
      workload_memory_gib: 8,
    });
    assert.equal(new Set(v.servers as string[]).size, 3);
    const q = await engine.read("tenant_quota", "acme/g");
    // 3 x 1 + 4 = 7 cores; 3 x 2 + 8 = 14 GiB; 3 x 5 = 15 GiB storage
    assert.deepEqual([q!.used_cpu_cores, q!.used_memory_gib, q!.used_storage_gib, q!.used_vclusters], [7, 14, 15, 1]);
    // Pausing keeps the reservation.
    const paused = await engine.update("vcluster", "acme/dev", {
      name: "dev", tenant: "acme", group: "g", control_plane_replicas: 3, control_plane_cpu_cores: 1, control_plane_memory_gib: 2, workload_cpu_cores: 4, workload_memory_gib: 8, paused: true,
    });
    assert.equal(paused.status, "Paused");
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 7);
  });

  it("a manifest deleted by hand: read reports the VM gone, writes nothing, and the next create re-makes it in place", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    const placed = (await engine.read("virtual_machine", "acme/web-1"))!.server;
    fs.rmSync(file(manifestOf("virtual_machine", "web-1").rel));
    const audit = (await engine.ledger.audit()).length;
    assert.equal(await engine.read("virtual_machine", "acme/web-1"), undefined);
    // The allocation stays held (marked missing), so no other team can take the capacity meanwhile.
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 4);
    assert.equal((await engine.ledger.audit()).length, audit, "a read writes nothing");
    const plan = await engine.plan([{ action: "create", kind: "virtual_machine", args: vm("web-1", { cpu_cores: 4 }), address: "vm.web1" }]);
    assert.deepEqual(plan.diagnostics.map((d) => [d.severity, d.code]), [["warning", "missing"]]);
    assert.match(plan.diagnostics[0].detail, /missing on the backend, but the ledger still holds its allocation on s\d.*re-creates it in place/);
    const again = await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    assert.equal(again.server, placed, "on the same server");
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 4, "on the same reservation: charged once");
    assert.ok(fs.existsSync(file(manifestOf("virtual_machine", "web-1").rel)));
    assert.deepEqual((await engine.ledger.audit()).slice(audit).map((e) => e.op), ["reapply", "commit"]);
  });

  it("a workload missing on the backend is released by its delete", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    fs.rmSync(file(manifestOf("virtual_machine", "web-1").rel));
    assert.equal(await engine.read("virtual_machine", "acme/web-1"), undefined);
    await engine.delete("virtual_machine", "acme/web-1");
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 0);
  });

  it("a manifest edited by hand shows as drift on read", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    const { rel } = manifestOf("virtual_machine", "web-1");
    const text = fs.readFileSync(file(rel), "utf8").replace(/cores: 4/, "cores: 7");
    fs.writeFileSync(file(rel), text);
    const s = await engine.read("virtual_machine", "acme/web-1");
    assert.equal(s!.cpu_cores, 7);
  });

  it("imports by ID and reports a bad ID clearly", async () => {
    await engine.create("virtual_machine", vm("web-1"));
    const s = await engine.import("virtual_machine", "acme/web-1");
    assert.equal(s.name, "web-1");
    assert.equal((await engine.import("tenant_quota", "acme/g")).tenant, "acme");
    const err = await rejects(engine.import("virtual_machine", "web-1"));
    assert.equal(err.code, "not_found");
    assert.match(err.message, /tenant\/name/);
  });

  it("sensitive values are returned to the caller but never stored or written", async () => {
    const s = await engine.create("virtual_machine", vm("web-1", { user_data: "#cloud-config\npassword: hunter2-secret" }));
    assert.equal(s.user_data, "#cloud-config\npassword: hunter2-secret");
    await engine.create("server", { name: "bm1", cpu_cores: 8, memory_gib: 8, storage_gib: 8, bmc: { address: "10.0.0.9", username: "admin", password: "bmc-pa55-secret" } });
    const db = await ledgerText(home);
    assert.ok(db.includes("bm1"), "the dump holds the ledger's rows");
    assert.equal(db.includes("hunter2-secret"), false);
    assert.equal(db.includes("bmc-pa55-secret"), false);
    for (const m of manifests(home)) {
      const text = fs.readFileSync(file(m), "utf8");
      assert.equal(text.includes("hunter2-secret") || text.includes("bmc-pa55-secret"), false, m);
    }
  });

  it("every mutation appends an audit event with its delta", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    await engine.delete("virtual_machine", "acme/web-1");
    const events = (await engine.ledger.audit()).filter((e) => e.key === "acme/web-1");
    assert.deepEqual(events.map((e) => e.op), ["reserve", "commit", "delete-start", "delete"]);
    assert.equal(events[0].delta.cpu_cores, 4);
    assert.equal(events[3].delta.cpu_cores, -4);
    assert.ok(events.every((e) => e.at > 0 && e.tenant === "acme" && e.grp === "g"));
  });

  it("data sources report usage and capacity", async () => {
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    const u = await engine.readDataSource("tenant_usage", { tenant: "acme", group: "g" });
    assert.deepEqual([u.cpu_cores, u.used_cpu_cores, u.max_vclusters], [16, 4, null]);
    const c = await engine.readDataSource("group_capacity", { group: "g" });
    assert.deepEqual([c.total_cpu_cores, c.allocated_cpu_cores, c.free_cpu_cores], [64, 4, 60]);
    assert.deepEqual(c.member_servers, ["s1", "s2", "s3", "s4"]);
  });
});
