/**
 * Synth of the example app (examples/cdktf, run as `node dist/examples/cdktf/main.js`): the
 * Terraform JSON declares the estate of examples/terraform/main.tf. Assertions on the JSON, not a
 * snapshot of it.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { byName, stackDir, synthExample, tempDir, type TfJson } from "./cdktf-harness";

/** `${otterscale_tenant_quota.<id>.tenant}` and the like. */
const ref = (type: string, logicalId: string, attr: string) => `\${${type}.${logicalId}.${attr}}`;

describe("cdktf example synth", function () {
  this.timeout(60_000);
  let tmp: { dir: string; close(): void };
  let json: TfJson;
  let ms: number;

  before(async () => {
    tmp = tempDir("cdktf-synth-");
    ({ json, ms } = await synthExample(tmp.dir, path.join(tmp.dir, "cdktf.out")));
  });
  after(() => tmp.close());

  it("writes cdktf.out/manifest.json and stacks/estate/cdk.tf.json", () => {
    assert.ok(existsSync(path.join(tmp.dir, "cdktf.out", "manifest.json")));
    assert.ok(existsSync(path.join(stackDir(path.join(tmp.dir, "cdktf.out")), "cdk.tf.json")));
    assert.ok(ms > 0);
  });

  it("requires otterscale/otterscale and configures the provider with the embedded default", () => {
    assert.deepEqual(json.terraform.required_providers, { otterscale: { source: "otterscale/otterscale", version: "~> 0.1" } });
    assert.deepEqual(json.provider, { otterscale: [{}] });
    assert.deepEqual(Object.keys(json.resource).sort(), [
      "otterscale_baremetal_group",
      "otterscale_block_pool",
      "otterscale_server",
      "otterscale_tenant_quota",
      "otterscale_vcluster",
      "otterscale_virtual_machine",
    ]);
  });

  it("6 servers in 2 racks and 2 zones, GPUs on node-5 and node-6", () => {
    const servers = byName(json, "otterscale_server");
    assert.deepEqual([...servers.keys()].sort(), ["node-1", "node-2", "node-3", "node-4", "node-5", "node-6"]);
    for (const [name, s] of servers) {
      const i = Number(name.slice(5));
      assert.equal(s.rack, i % 2 === 1 ? "r1" : "r2", name);
      assert.equal(s.zone, i <= 3 ? "zone-a" : "zone-b", name);
      assert.equal(s.hostname, `${name}.dc1.example`);
      assert.deepEqual(
        [s.region, s.cpu_cores, s.memory_gib, s.storage_gib, s.cpu_allocation_ratio, s.reserved_cpu_cores, s.reserved_memory_gib],
        ["tw-north", 64, 512, 4000, 2, 4, 16],
      );
      assert.deepEqual(s.labels, { pool: i > 4 ? "gpu" : "general" });
      assert.deepEqual(s.gpus, i > 4 ? [{ model: "a100", count: 4 }] : undefined, name);
      assert.deepEqual(s.maintainers, ["group:sre"]);
    }
  });

  it("the group selects by region and waits for every server; quotas reference the group", () => {
    const groups = byName(json, "otterscale_baremetal_group");
    assert.deepEqual([...groups.keys()], ["prod"]);
    const prod = groups.get("prod")!;
    assert.deepEqual(prod.selector, { regions: ["tw-north"] });
    assert.equal(prod.placement_strategy, "binpack");
    assert.equal(prod.description, "All production nodes");
    const serverIds = [...byName(json, "otterscale_server").values()].map((s) => `otterscale_server.${s.logicalId}`);
    assert.deepEqual([...(prod.depends_on as string[])].sort(), serverIds.sort());

    const byTenant = new Map(Object.values(json.resource.otterscale_tenant_quota).map((q) => [q.tenant, q]));
    const groupName = ref("otterscale_baremetal_group", prod.logicalId, "name");
    const { group: ga, tenant: _ta, "//": _m1, ...acme } = byTenant.get("acme")!;
    assert.equal(ga, groupName);
    assert.deepEqual(acme, { cpu_cores: 128, memory_gib: 1024, storage_gib: 8000, gpus: 4, max_virtual_machines: 20, maintainers: ["user:alice"] });
    const { group: gg, tenant: _tg, "//": _m2, ...globex } = byTenant.get("globex")!;
    assert.equal(gg, groupName);
    assert.deepEqual(globex, { cpu_cores: 64, memory_gib: 256, storage_gib: 2000 });
    assert.equal(byTenant.size, 2);
  });

  it("VMs: 3 web VMs with anti_affinity_group placement and the GPU trainer, all through acme's quota", () => {
    const acmeQuota = Object.entries(json.resource.otterscale_tenant_quota).find(([, q]) => q.tenant === "acme")![0];
    const vms = byName(json, "otterscale_virtual_machine");
    assert.deepEqual([...vms.keys()].sort(), ["trainer", "web-1", "web-2", "web-3"]);
    for (const [name, vm] of vms) {
      assert.equal(vm.tenant, ref("otterscale_tenant_quota", acmeQuota, "tenant"), name);
      assert.equal(vm.group, ref("otterscale_tenant_quota", acmeQuota, "group"), name);
    }
    for (const i of [1, 2, 3]) {
      const vm = vms.get(`web-${i}`)!;
      assert.deepEqual(vm.placement, { anti_affinity_group: "web", spread_domain: "server" });
      assert.deepEqual([vm.cpu_cores, vm.memory_gib, vm.disk_gib, vm.image], [4, 16, 50, "quay.io/containerdisks/ubuntu:24.04"]);
      assert.deepEqual(vm.timeouts, { create: "10m" });
    }
    const trainer = vms.get("trainer")!;
    assert.deepEqual([trainer.cpu_cores, trainer.memory_gib, trainer.disk_gib, trainer.gpu_model, trainer.gpu_count], [16, 128, 500, "a100", 2]);
    assert.equal(trainer.placement, undefined);
  });

  it("a 3-replica vCluster for globex", () => {
    const dev = byName(json, "otterscale_vcluster").get("dev")!;
    assert.equal(dev.control_plane_replicas, 3);
    assert.equal(dev.kubernetes_version, "v1.31.4");
    assert.deepEqual([dev.workload_cpu_cores, dev.workload_memory_gib, dev.workload_storage_gib], [16, 64, 200]);
    assert.match(String(dev.tenant), /^\$\{otterscale_tenant_quota\.[^.]+\.tenant\}$/);
  });

  it("a replicated pool (protected by default) and an erasure-coded one", () => {
    const pools = byName(json, "otterscale_block_pool");
    const db = pools.get("db")!;
    assert.deepEqual([db.size_gib, db.replicas, db.failure_domain, db.device_class], [500, 3, "server", "ssd"]);
    assert.equal(db.deletion_protection, undefined, "db keeps the provider default (true)");
    assert.equal(db.erasure_coded, undefined);
    const archive = pools.get("archive")!;
    assert.deepEqual(archive.erasure_coded, { data_chunks: 2, coding_chunks: 1 });
    assert.deepEqual([archive.size_gib, archive.failure_domain, archive.deletion_protection, archive.replicas], [1000, "server", false, undefined]);
  });

  it("data sources wait for the workloads; outputs as in the Terraform example", () => {
    const usage = Object.values(json.data.otterscale_tenant_usage);
    assert.equal(usage.length, 1);
    assert.equal((usage[0].depends_on as string[]).length, 6, "4 VMs + 2 pools");
    const capacity = Object.values(json.data.otterscale_group_capacity);
    assert.equal(capacity.length, 1);
    assert.ok((capacity[0].depends_on as string[]).includes("otterscale_vcluster.dev"));
    assert.deepEqual(Object.keys(json.output).sort(), ["acme_cpu_used", "prod_free_cpu", "vcluster_servers", "web_servers"]);
    assert.deepEqual(json.output.web_servers.value, [1, 2, 3].map((i) => ref("otterscale_virtual_machine", `web-${i}`, "server")));
  });
});
