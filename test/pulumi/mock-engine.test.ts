/**
 * The example program under `pulumi.runtime.setMocks`, where each resource's serialized provider
 * is deserialized exactly as the dynamic-provider host does and its real configure/check/create
 * run against a real SQLite ledger and the gitops controller in a temp directory.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { declareEstate, type Estate } from "../../examples/pulumi/estate";
import { openEngine } from "../../provider/src/api";
import type { Engine } from "../../provider/src/engine/engine";
import { closeEngines } from "../../sdk/pulumi/runtime";
import * as otterscale from "../../sdk/pulumi";
import { manifests } from "../support/estate";
import { initStackLedger, InProcessHost, mockEngine, settle, stackConfig, tempDir, type MockRecord } from "./support";

async function run(estate: Estate): Promise<void> {
  const all = [...estate.servers, estate.group, estate.quotas.acme, estate.quotas.globex, ...estate.vms, estate.vcluster, ...estate.pools];
  await Promise.all(all.map((r) => settle(r.urn)));
}

describe("pulumi: the example program under setMocks, through the deserialized providers", function () {
  this.timeout(60_000);
  let home: string;
  let decoy: string;
  let engine: Engine | undefined;
  const savedHome = process.env.OTTERSCALE_HOME;

  beforeEach(async () => {
    home = tempDir("pulumi-mock-");
    await initStackLedger(home);
    // The stack config must win over the environment: anything written here is a bug.
    decoy = tempDir("pulumi-decoy-");
    process.env.OTTERSCALE_HOME = decoy;
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await closeEngines();
    if (savedHome === undefined) delete process.env.OTTERSCALE_HOME;
    else process.env.OTTERSCALE_HOME = savedHome;
  });

  it("`pulumi up` of the whole estate: ledger, placements, manifests and secrets", async () => {
    const records = await mockEngine(new InProcessHost(stackConfig(home)), { preview: false });
    const estate = declareEstate();
    await run(estate);
    assert.deepEqual(records.filter((r) => r.failures || r.error), [], "every resource checks and creates");
    assert.equal(records.length, 16);
    assert.deepEqual(fs.readdirSync(decoy), []);

    engine = await openEngine({ ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] });
    // acme: 3 x web (4 cores, 16 GiB, 50 GiB disk) + trainer (16, 128, 500, 2 GPUs) + pools 500 + 1000
    // (+ 1 GiB: the EC pool's replicated metadata pool)
    const acme = await engine.read("tenant_quota", "acme/prod");
    assert.deepEqual(
      [acme!.used_cpu_cores, acme!.used_memory_gib, acme!.used_storage_gib, acme!.used_gpus, acme!.used_virtual_machines, acme!.used_block_pools],
      [28, 176, 2151, 2, 4, 2],
    );
    // globex: 3 control-plane replicas x (1 core, 2 GiB, 5 GiB) + workload quota (16, 64, 200)
    const globex = await engine.read("tenant_quota", "globex/prod");
    assert.deepEqual([globex!.used_cpu_cores, globex!.used_memory_gib, globex!.used_storage_gib, globex!.used_vclusters], [19, 70, 215, 1]);

    // Outputs are what the ledger says, camelCase.
    const vmOut = (name: string) => records.find((r) => r.name === name)!.outs!;
    const webServers = ["web-1", "web-2", "web-3"].map((n) => vmOut(n).server as string);
    assert.equal(new Set(webServers).size, 3, `anti-affinity puts the web VMs on distinct servers: ${webServers}`);
    assert.ok(["node-5", "node-6"].includes(vmOut("trainer").server as string), "the GPU VM lands on a GPU node");
    for (const n of ["web-1", "trainer"]) {
      const s = await engine.read("virtual_machine", `acme/${n}`);
      assert.equal(vmOut(n).server, s!.server);
      assert.equal(vmOut(n).status, "Running");
    }
    const vc = records.find((r) => r.name === "dev")!.outs!;
    assert.equal(new Set(vc.servers as string[]).size, 3);
    assert.equal(typeof vc.kubeconfig, "string");
    const archive = records.find((r) => r.name === "archive")!.outs!;
    assert.deepEqual([archive.rawGib, (archive.servers as string[]).length, archive.erasureCoded], [1503, 3, { dataChunks: 2, codingChunks: 1 }]);
    const group = records.find((r) => r.name === "prod")!.outs!;
    assert.deepEqual(group.memberServers, ["node-1", "node-2", "node-3", "node-4", "node-5", "node-6"]);

    assert.deepEqual(manifests(home), [
      "_inventory/baremetal_group/prod.yaml",
      ...[1, 2, 3, 4, 5, 6].map((i) => `_inventory/server/node-${i}.yaml`),
      "acme/block_pool/archive.yaml",
      "acme/block_pool/db.yaml",
      "acme/tenant_quota/prod.yaml",
      "acme/virtual_machine/trainer.yaml",
      "acme/virtual_machine/web-1.yaml",
      "acme/virtual_machine/web-2.yaml",
      "acme/virtual_machine/web-3.yaml",
      "globex/tenant_quota/prod.yaml",
      "globex/vcluster/dev.yaml",
    ]);
    const web1 = parse(fs.readFileSync(path.join(home, "manifests", "acme/virtual_machine/web-1.yaml"), "utf8"));
    assert.equal(web1.spec.template.spec.nodeSelector["kubernetes.io/hostname"], vmOut("web-1").server, "the node name (short hostname), not the FQDN");
    // user_data was a pulumi.secret: it reaches the output (marked secret by the resource) but
    // never the ledger or a manifest.
    assert.equal(vmOut("web-1").userData, "#cloud-config\nhostname: web-1\n");
    const everything = manifests(home).map((m) => fs.readFileSync(path.join(home, "manifests", m), "utf8")).join("\n");
    assert.ok(!everything.includes("hostname: web-1\n"), "cloud-init user data is not written in clear");
    const db = fs.readFileSync(path.join(home, "ledger.db"));
    assert.ok(!db.includes(Buffer.from("hostname: web-1")), "nor stored in the ledger");

    // Data-source helpers read the same ledger (stack config from the mocked program's env).
    const usage = await otterscale.getTenantUsage({ tenant: "acme", group: "prod" }, { ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"] });
    assert.deepEqual([usage.cpuCores, usage.usedCpuCores, usage.maxVirtualMachines, usage.maxVclusters], [128, 28, 20, undefined]);
    const cap = await otterscale.getGroupCapacity({ group: "prod" }, { ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"] });
    // 6 servers x (64 - 4) x 2 cores = 720; allocated on servers: acme's 28 + the vCluster's
    // control plane 3 x 1 (its workload quota charges globex's quota, not a server)
    assert.deepEqual([cap.totalCpuCores, cap.allocatedCpuCores, cap.freeCpuCores], [720, 31, 689]);

    // Running the program again changes nothing: creates are idempotent and adopt what exists.
    const again = await mockEngine(new InProcessHost(stackConfig(home)), { preview: false });
    await run(declareEstate());
    assert.deepEqual(again.filter((r) => r.failures || r.error), []);
    assert.deepEqual(again.find((r) => r.name === "web-1")!.outs!.server, vmOut("web-1").server);
    assert.equal((await engine.read("tenant_quota", "acme/prod"))!.used_virtual_machines, 4);
  });

  it("`pulumi preview` writes nothing and fails at check time when the creates together pass a quota", async () => {
    const records = await mockEngine(new InProcessHost(stackConfig(home)), { preview: true });
    const estate = declareEstate();
    // Ten more 16-core VMs: each fits alone, but acme's 128 cores run out after six of them
    // (28 already planned + 6 x 16 = 124; the 7th would need 140).
    // They come after the estate's own workloads (dependsOn), so the last four are the ones over.
    const extra = Array.from(
      { length: 10 },
      (_, i) =>
        new otterscale.VirtualMachine(
          `batch-${i}`,
          { tenant: estate.quotas.acme.tenant, group: estate.quotas.acme.group, cpuCores: 16, memoryGib: 8, diskGib: 10 },
          { dependsOn: [...estate.vms, ...estate.pools] },
        ),
    );
    await run(estate);
    await Promise.all(extra.map((r) => settle(r.urn)));
    const failed = records.filter((r) => r.failures);
    assert.equal(failed.length, 4, failed.map((r) => r.name).join(","));
    assert.ok(failed.every((r) => r.name.startsWith("batch-")));
    assert.equal(records.filter((r) => !r.failures && !r.error).length, 16 + 6);
    for (const r of failed) {
      assert.equal(r.failures!.length, 1);
      assert.equal(r.failures![0].property, "cpuCores");
      assert.match(r.failures![0].reason, /^quota exceeded for tenant acme in group prod: cpuCores requested 16, used 124, limit 128/);
    }
    assert.deepEqual(manifests(home), [], "a preview writes no manifest");
    engine = await openEngine({ ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] });
    assert.equal(await engine.read("server", "node-1"), undefined, "nor any ledger row");
    assert.deepEqual(fs.readdirSync(decoy), []);
  });

  it("the program entry (Pulumi.yaml main) exports placements and usage read with the stack config", async () => {
    await mockEngine(new InProcessHost(stackConfig(home)), { preview: false });
    // Data-source helpers in the program read `otterscale:*` stack config like the provider does.
    for (const [k, v] of Object.entries(stackConfig(home))) pulumi.runtime.setConfig(k, v);
    const program = await import("../../examples/pulumi/index");
    const placements = await settle(program.vmPlacements);
    assert.deepEqual(Object.keys(placements).sort(), ["trainer", "web-1", "web-2", "web-3"]);
    assert.equal((await settle(program.vclusterServers))!.length, 3);
    assert.equal((await settle(program.acmeUsage)).usedCpuCores, 28);
  });

  it("a bad attribute is a check failure naming the camelCase property", async () => {
    const records = await mockEngine(new InProcessHost(stackConfig(home)), { preview: true });
    const vm = new otterscale.VirtualMachine("Bad_Name", { tenant: "acme", group: "prod", cpuCores: 0, memoryGib: 1, diskGib: 1, placement: { spreadDomain: "planet" as never } });
    await settle(vm.urn);
    const r: MockRecord = records.find((x) => x.name === "Bad_Name")!;
    assert.deepEqual(
      r.failures!.map((f) => f.property).sort(),
      ["cpuCores", "name", "placement.spreadDomain"],
    );
    assert.match(r.failures!.find((f) => f.property === "placement.spreadDomain")!.reason, /must be one of "server", "rack", "zone" \(got "planet"\)/);
  });
});
