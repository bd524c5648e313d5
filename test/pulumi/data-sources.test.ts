/**
 * Data sources in a program (issue 18, item 5): the Output forms wait for the resources their
 * inputs come from, and a program that reads a PostgreSQL ledger exits as soon as it is done (no
 * pool left open until its idle timeout).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { openEngine } from "../../provider/src/api";
import * as otterscale from "../../sdk/pulumi";
import { leasedEngines } from "../../sdk/pulumi/leased-engines";
import { closeEngines } from "../../sdk/pulumi/runtime";
import { seedEstate } from "../support/estate";
import { sharedPostgres } from "../support/postgres";
import { initStackLedger, InProcessHost, mockEngine, settle, stackConfig, tempDir } from "./support";

describe("pulumi: data sources", function () {
  this.timeout(60_000);

  afterEach(async () => {
    await closeEngines();
  });

  it("the Output forms read after the resources their inputs (and dependsOn) come from exist", async () => {
    const home = tempDir("pulumi-ds-");
    await initStackLedger(home);
    for (const [k, v] of Object.entries(stackConfig(home))) pulumi.runtime.setConfig(k, v);
    const records = await mockEngine(new InProcessHost(stackConfig(home)), { preview: false });
    const s = new otterscale.Server("s1", { cpuCores: 16, memoryGib: 64, storageGib: 1000 });
    const g = new otterscale.BaremetalGroup("g", { servers: [s.name] });
    const q = new otterscale.TenantQuota("q", { tenant: "acme", group: g.name, cpuCores: 8 });
    const vm = new otterscale.VirtualMachine("vm", { tenant: q.tenant, group: q.group, cpuCores: 3, memoryGib: 1, diskGib: 1 });
    // Plain strings, ordered by dependsOn only: still read after the VM exists.
    const usage = otterscale.getTenantUsageOutput({ tenant: "acme", group: "g" }, { dependsOn: [vm] });
    const capacity = otterscale.getGroupCapacityOutput({ group: g.name });
    assert.deepEqual([(await settle(usage)).usedCpuCores, (await settle(capacity)).totalCpuCores], [3, 16]);
    assert.deepEqual(records.filter((r) => r.failures || r.error), []);
    assert.equal(leasedEngines(), 0, "no engine is left open once the reads are done");
  });

  it("the lookups (getServers, getVirtualMachine, getVCluster) read what the ledger records", async () => {
    const home = tempDir("pulumi-lookups-");
    await initStackLedger(home);
    const settings = { ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] };
    const engine = await openEngine(settings);
    try {
      await seedEstate(engine, { servers: 3 });
      await engine.create("virtual_machine", { name: "web", tenant: "acme", group: "g", cpu_cores: 10, memory_gib: 4, disk_gib: 10, placement: { server: "s2" } });
    } finally {
      await engine.close();
    }
    const roomy = await otterscale.getServers({ group: "g", minFreeCpuCores: 10 }, settings);
    assert.deepEqual(roomy.names, ["s1", "s3"]);
    assert.deepEqual((await otterscale.getServers({ racks: ["r1"] }, settings)).names, ["s1", "s3"]);
    const web = await otterscale.getVirtualMachine({ tenant: "acme", name: "web" }, settings);
    assert.deepEqual([web.server, web.cpuCores], ["s2", 10]);
    await assert.rejects(otterscale.getVCluster({ tenant: "acme", name: "nope" }, settings), /vcluster "acme\/nope" does not exist/);
  });

  it("a program reading a PostgreSQL ledger exits right after its result (no pool kept open)", async () => {
    const pg = await sharedPostgres();
    const ledgerUrl = await pg.createDatabase("pulumi_ds");
    const engine = await openEngine({ ledgerUrl, controllerUrl: `gitops://${tempDir("pulumi-ds-manifests-")}` });
    try {
      await seedEstate(engine, { servers: 1, quota: { cpu_cores: 12 } });
    } finally {
      await engine.close();
    }
    const sdk = path.resolve(__dirname, "..", "..", "sdk", "pulumi");
    const program = `require(${JSON.stringify(sdk)}).getTenantUsage({ tenant: "acme", group: "g" }, { ledgerUrl: ${JSON.stringify(ledgerUrl)} })
      .then((u) => console.log(JSON.stringify({ limit: u.cpuCores, used: u.usedCpuCores })))`;
    const child = spawn(process.execPath, ["-e", program], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let printedAt = 0;
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      printedAt ||= Date.now();
    });
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const lingered = Date.now() - printedAt;
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out), { limit: 12, used: 0 });
    assert.ok(lingered < 2000, `the program exited ${lingered} ms after its result`);
  });
});
