/**
 * `otterscale report --pulumi-preview` on a `pulumi preview --json` document (no Pulumi CLI runs
 * here, so the fixture follows the CLI's PreviewDigest: steps with op, urn, oldState/newState
 * with type tokens and camelCase inputs, the dynamic provider's `__provider`, a replacement as
 * create-replacement/replace/delete-replaced, secrets as "[secret]", unknowns as Pulumi's
 * sentinel, and another provider's resource). The report's "after" equals the ledger once the
 * same changes are applied through the engine, as the dynamic provider does.
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Engine } from "../../provider/src/engine/engine";
import { repoRoot } from "../terraform/tf-harness";
import { seedEstate, testEngine, vm } from "../support/estate";
import { cli, cliJson } from "./cli-harness";

const FIXTURE = () => path.join(repoRoot(), "test", "cli", "fixtures", "pulumi-preview.json");

interface ReportJson {
  ok: boolean;
  summary: Record<string, number>;
  changes: { address: string; action: string; id?: string }[];
  quotas: { tenant: string; group: string; dimensions: { dimension: string; before: number; after: number; limit: number | null }[] }[];
  placements: { address: string; servers: string[] }[];
  errors: { address: string; code: string; detail: string }[];
}

describe("otterscale report on a pulumi preview", function () {
  this.timeout(120_000);
  let engine: Engine;
  let home: string;

  before(async () => {
    ({ engine, home } = await testEngine());
    await seedEstate(engine, { quota: { cpu_cores: 16, memory_gib: 64, storage_gib: 400, max_virtual_machines: 4 } });
    await engine.create("baremetal_group", { name: "g2", servers: ["s3", "s4"] });
    await engine.create("tenant_quota", { tenant: "acme", group: "g2", cpu_cores: 8 });
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 2, memory_gib: 4, disk_gib: 10, placement: { anti_affinity_group: "web" } }));
    await engine.create("virtual_machine", vm("web-2", { cpu_cores: 2, memory_gib: 4, disk_gib: 10 }));
    await engine.create("virtual_machine", vm("batch", { cpu_cores: 4, memory_gib: 8, disk_gib: 40 }));
  });
  after(() => engine.close());

  it("turns the steps into ordered changes and reports before -> after per tenant and group", async () => {
    const report = await cliJson<ReportJson>(["report", "--pulumi-preview", FIXTURE()], { home });
    assert.equal(report.ok, true, JSON.stringify(report.errors));
    assert.deepEqual(report.summary, { create: 2, update: 1, delete: 1, replace: 1 });
    assert.deepEqual(
      report.changes.map((c) => `${c.action} ${c.address}${c.id ? ` ${c.id}` : ""}`),
      // Creates of one tier go by address (engine/review/order.ts), whatever order the steps came in.
      ["delete VirtualMachine::batch acme/batch", "replace VirtualMachine::web-2 acme/web-2", "update VirtualMachine::web-1 acme/web-1", "create BlockPool::data", "create VirtualMachine::api"],
    );
    const q = (group: string) => Object.fromEntries(report.quotas.find((x) => x.tenant === "acme" && x.group === group)!.dimensions.map((d) => [d.dimension, [d.before, d.after, d.limit]]));
    // g before: web-1 (2, 4, 10) + web-2 (2, 4, 10) + batch (4, 8, 40)
    // g after:  web-1 resized to 4 cores + api (4, 8, 20) + pool 100 GiB; web-2 moved to g2, batch deleted
    assert.deepEqual(q("g"), {
      cpu_cores: [8, 8, 16],
      memory_gib: [16, 12, 64],
      storage_gib: [60, 130, 400],
      gpus: [0, 0, 0],
      virtual_machines: [3, 2, 4],
      vclusters: [0, 0, null],
      block_pools: [0, 1, null],
    });
    assert.deepEqual(q("g2").cpu_cores, [0, 2, 8]);
    assert.deepEqual(q("g2").virtual_machines, [0, 1, null]);
    const web1 = (await engine.read("virtual_machine", "acme/web-1"))!.server;
    const api = report.placements.find((p) => p.address === "VirtualMachine::api")!;
    assert.notEqual(api.servers[0], web1, "anti-affinity with web-1 (camelCase placement input understood)");
    assert.ok(["s3", "s4"].includes(report.placements.find((p) => p.address === "VirtualMachine::web-2")!.servers[0]));

    const md = await cli(["report", "--pulumi-preview", FIXTURE()], { home });
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^\*\*Can apply\.\*\* 5 changes to otterscale resources: 2 create, 1 update, 1 replace, 1 delete \(pulumi preview `.*pulumi-preview\.json`\)\.$/m);
    assert.ok(md.stdout.includes("**acme** in group **g2**\n\n| Dimension | Use before -> after | Limit | Use after |\n| --- | ---: | ---: | --- |\n| cpu_cores | 0 -> 2 | 8 | `███░░░░░░░ 25%` |"), md.stdout);

    // Apply the same changes the way the dynamic provider does (engine create/update/delete).
    await engine.delete("virtual_machine", "acme/batch");
    await engine.delete("virtual_machine", "acme/web-2");
    await engine.create("virtual_machine", vm("web-2", { group: "g2", cpu_cores: 2, memory_gib: 4, disk_gib: 10 }));
    await engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 4, memory_gib: 4, disk_gib: 10, placement: { anti_affinity_group: "web" } }));
    await engine.create("virtual_machine", vm("api", { cpu_cores: 4, memory_gib: 8, disk_gib: 20, user_data: "#cloud-config", placement: { anti_affinity_group: "web", spread_domain: "server" } }));
    await engine.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 100, replicas: 2, deletion_protection: false });
    const usage = await cliJson<{ quotas: { tenant: string; group: string; used: Record<string, number> }[] }>(["usage", "--tenant", "acme"], { home });
    for (const quota of report.quotas) {
      const used = usage.quotas.find((u) => u.group === quota.group)!.used;
      for (const d of quota.dimensions) assert.equal(used[d.dimension], d.after, `${quota.group} ${d.dimension}`);
    }
  });

  it("a preview that passes a quota: the error names tenant, group and numbers; exit 2", async () => {
    const doc = JSON.parse(readFileSync(FIXTURE(), "utf8"));
    // Against the ledger as the previous test left it: web-1 4 cores, api 4, web-2 in g2. Make a new VM too big.
    const step = doc.steps.find((s: { urn: string }) => s.urn.endsWith("VirtualMachine::api"));
    step.urn = step.urn.replace("::api", "::big");
    step.newState.inputs = { ...step.newState.inputs, name: "big", cpuCores: 10 };
    doc.steps = doc.steps.filter((s: { op: string }) => s.op === "create" || s.op === "same");
    const file = path.join(home, "too-big.json");
    writeFileSync(file, JSON.stringify(doc));
    const report = await cliJson<ReportJson>(["report", "--pulumi-preview", file], { home }, 2);
    assert.deepEqual(
      report.errors.map((e) => [e.address, e.code, e.detail]),
      [["VirtualMachine::big", "quota_exceeded", "quota exceeded for tenant acme in group g: cpu_cores requested 10, used 8, limit 16"]],
    );
    const both = await cli(["report", "--pulumi-preview", file, "--terraform-plan", file], { home });
    assert.equal(both.code, 1);
    assert.match(both.stderr, /give exactly one of --terraform-plan <plan.json> or --pulumi-preview <preview.json>/);
  });
  it("pulumi preview --destroy: the dynamic provider is never asked about deletes, so the report names what the destroy would hit (exit 2)", async () => {
    // The ledger as the first test left it holds block pool acme/data with deletion_protection = false;
    // a protected one is added for this test.
    await engine.create("block_pool", { name: "vault", tenant: "acme", group: "g", size_gib: 10, replicas: 1 });
    const urn = (type: string, name: string) => `urn:pulumi:dev::estate::pulumi-nodejs:dynamic/otterscale:${type}::${name}`;
    const del = (type: string, name: string, id: string) => ({ op: "delete", urn: urn(type, name), oldState: { type: `pulumi-nodejs:dynamic/otterscale:${type}`, id, inputs: {} } });
    const doc = { changeSummary: { delete: 3 }, steps: [del("BlockPool", "vault", "acme/vault"), del("BlockPool", "data", "acme/data"), del("TenantQuota", "acme-g2", "acme/g2")] };
    const file = path.join(home, "destroy.json");
    writeFileSync(file, JSON.stringify(doc));
    const report = await cliJson<ReportJson>(["report", "--pulumi-preview", file], { home }, 2);
    assert.deepEqual(
      report.errors.map((e) => [e.address, e.code]),
      [
        ["BlockPool::vault", "protected"],
        ["TenantQuota::acme-g2", "in_use"],
      ],
    );
    assert.match(report.errors[0].detail, /deletion_protection = true/);
    assert.match(report.errors[1].detail, /the tenant still holds virtual_machine acme\/web-2/);
  });
});
