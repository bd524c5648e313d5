/**
 * The review report on plans made by the REAL terraform binary and the REAL provider executable,
 * against the same OTTERSCALE_HOME the CLI reads: the session of a reviewer, then of the person
 * who applies. The report's "after" numbers must equal what the ledger shows after
 * `terraform apply plan.tfplan`; a plan whose creates together pass a quota is reported with the
 * error and exit code 2.
 */
import { strict as assert } from "node:assert";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { TERRAFORM, tfSession, withProvider, type TfSession } from "../terraform/tf-harness";
import { cli, cliJson } from "./cli-harness";

const estate = (change: { webs: number; apiCores: number; old: boolean; pool: boolean; memory: number; small?: number }) => `
resource "otterscale_server" "s" {
  for_each    = toset(["s1", "s2", "s3"])
  name        = each.key
  rack        = each.key == "s2" ? "r2" : "r1"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}

resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [for s in otterscale_server.s : s.name]
}

resource "otterscale_tenant_quota" "q" {
  tenant               = "acme"
  group                = otterscale_baremetal_group.g.name
  cpu_cores            = 20
  memory_gib           = ${change.memory}
  storage_gib          = 500
  max_virtual_machines = 10
}

resource "otterscale_virtual_machine" "web" {
  count      = ${change.webs}
  name       = "web-\${count.index}"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 4
  memory_gib = 8
  disk_gib   = 20
  placement  = { anti_affinity_group = "web" }
}

resource "otterscale_virtual_machine" "api" {
  name       = "api"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = ${change.apiCores}
  memory_gib = 4
  disk_gib   = 10
}
${
  change.old
    ? `
resource "otterscale_virtual_machine" "old" {
  name       = "old"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
}`
    : ""
}${
  change.pool
    ? `
resource "otterscale_block_pool" "data" {
  name                = "data"
  tenant              = otterscale_tenant_quota.q.tenant
  group               = otterscale_tenant_quota.q.group
  size_gib            = 100
  replicas            = 2
  deletion_protection = false
}`
    : ""
}${
  change.small
    ? `
resource "otterscale_virtual_machine" "small" {
  count      = ${change.small}
  name       = "small-\${count.index}"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 1
  memory_gib = 1
  disk_gib   = 1
}`
    : ""
}
`;

async function ok(s: TfSession, args: string[]) {
  const r = await s.run([...args, "-no-color"]);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `terraform plan -out plan.tfplan` + `terraform show -json plan.tfplan > plan.json`; returns the JSON's path. */
async function planJson(s: TfSession): Promise<string> {
  await ok(s, ["plan", "-out", "plan.tfplan"]);
  const shown = await ok(s, ["show", "-json", "plan.tfplan"]);
  const file = path.join(s.dir, "plan.json");
  writeFileSync(file, shown.stdout);
  return file;
}

interface ReportJson {
  ok: boolean;
  summary: Record<string, number>;
  changes: { address: string; action: string }[];
  quotas: { tenant: string; group: string; status: string; dimensions: { dimension: string; before: number; after: number; limit: number | null; limit_before: number | null }[] }[];
  groups: { group: string; dimensions: { dimension: string; allocated_before: number; allocated_after: number }[] }[];
  servers: { server: string; placements: string[] }[];
  placements: { address: string; servers: string[] }[];
  errors: { address: string; code: string; detail: string }[];
}

describe("otterscale report on a real terraform plan", function () {
  this.timeout(300_000);
  let s: TfSession;
  before(async () => {
    assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`);
    s = await tfSession();
    s.write("main.tf", withProvider(estate({ webs: 2, apiCores: 2, old: true, pool: false, memory: 64 })));
    await ok(s, ["apply", "-auto-approve"]);
  });
  after(() => s.close());

  it("reports use before -> after per tenant and group; after the apply the ledger shows exactly the 'after'", async () => {
    // The change under review: one more web VM, api resized 2 -> 6 cores, old deleted, a pool, more memory.
    s.write("main.tf", withProvider(estate({ webs: 3, apiCores: 6, old: false, pool: true, memory: 96 })));
    const plan = await planJson(s);

    const report = await cliJson<ReportJson>(["report", "--terraform-plan", plan], { home: s.home });
    assert.equal(report.ok, true, JSON.stringify(report.errors));
    assert.deepEqual(report.summary, { create: 2, update: 2, delete: 1, replace: 0 });
    assert.deepEqual(
      report.changes.map((c) => `${c.action} ${c.address}`),
      [
        "delete otterscale_virtual_machine.old",
        "update otterscale_tenant_quota.q",
        "update otterscale_virtual_machine.api",
        "create otterscale_block_pool.data",
        "create otterscale_virtual_machine.web[2]",
      ],
      "deletes first, then the quota, then workloads (updates before creates)",
    );
    const acme = report.quotas.find((q) => q.tenant === "acme" && q.group === "g")!;
    const dim = (d: string) => acme.dimensions.find((x) => x.dimension === d)!;
    // before: web 2 x (4, 8, 20) + api (2, 4, 10) + old (2, 4, 10) = 12 cores, 24 GiB, 60 GiB disk, 4 VMs
    // after:  web 3 x (4, 8, 20) + api (6, 4, 10) + pool 100 GiB  = 18 cores, 28 GiB, 170 GiB, 4 VMs, 1 pool
    assert.deepEqual([dim("cpu_cores").before, dim("cpu_cores").after, dim("cpu_cores").limit], [12, 18, 20]);
    assert.deepEqual([dim("memory_gib").before, dim("memory_gib").after, dim("memory_gib").limit_before, dim("memory_gib").limit], [24, 28, 64, 96]);
    assert.deepEqual([dim("storage_gib").before, dim("storage_gib").after], [60, 170]);
    assert.deepEqual([dim("virtual_machines").before, dim("virtual_machines").after], [4, 4]);
    assert.deepEqual([dim("block_pools").before, dim("block_pools").after], [0, 1]);
    const web2 = report.placements.find((p) => p.address === "otterscale_virtual_machine.web[2]")!;
    assert.equal(web2.servers.length, 1);
    assert.equal(report.placements.find((p) => p.address === "otterscale_block_pool.data")!.servers.length, 2);
    assert.ok(report.servers.some((sv) => sv.server === web2.servers[0] && sv.placements.includes("otterscale_virtual_machine.web[2]")));

    const md = await cli(["report", "--terraform-plan", plan], { home: s.home });
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^\*\*Can apply\.\*\* 5 changes to otterscale resources: 2 create, 2 update, 1 delete \(terraform plan `.*plan\.json`\)\.$/m);
    const lines = md.stdout.split("\n");
    for (const want of [
      "**acme** in group **g**",
      "| cpu_cores | 12 -> 18 | 20 | `█████████░ 90%` |", // 18/20 = 90% -> 9 cells
      "| memory_gib | 24 -> 28 | 64 -> 96 | `███░░░░░░░ 29%` |", // 28/96 = 29.2% -> 2.9 cells -> 3
      "| storage_gib | 60 -> 170 | 500 | `███░░░░░░░ 34%` |",
      "| virtual_machines | 4 | 10 | `████░░░░░░ 40%` |",
      "| block_pools | 0 -> 1 | none | `no limit` |",
      "| cpu_cores | 12 -> 18 | 48 | `████░░░░░░ 38%` |", // group g: 18 of 3 x 16 cores
    ]) {
      assert.ok(lines.includes(want), `missing line ${want} in:\n${md.stdout}`);
    }
    assert.match(md.stdout, /### Placements\n\n\| Server \| Receives \|/);

    // Apply exactly this plan; the ledger must now show the report's "after".
    await ok(s, ["apply", "plan.tfplan"]);
    const usage = await cliJson<{ quotas: { tenant: string; group: string; used: Record<string, number>; limits: Record<string, number | null> }[] }>(["usage"], { home: s.home });
    const q = usage.quotas.find((x) => x.tenant === "acme" && x.group === "g")!;
    for (const d of acme.dimensions) {
      assert.equal(q.used[d.dimension], d.after, `used ${d.dimension} after apply`);
      assert.equal(q.limits[d.dimension], d.limit, `limit ${d.dimension} after apply`);
    }
    const inv = await cliJson<{ groups: { name: string; allocated: Record<string, number> }[] }>(["inventory"], { home: s.home });
    for (const d of report.groups.find((g) => g.group === "g")!.dimensions) assert.equal(inv.groups[0].allocated[d.dimension], d.allocated_after, `group allocated ${d.dimension}`);
    // Nothing left to review: the next plan is empty and so is its report.
    const empty = await cliJson<ReportJson>(["report", "--terraform-plan", await planJson(s)], { home: s.home });
    assert.deepEqual(empty.summary, { create: 0, update: 0, delete: 0, replace: 0 });
    assert.equal(empty.ok, true);
  });

  it("a plan whose creates together pass the quota: the report lists the error and exits 2", async () => {
    // review_checks = "resource" lets terraform plan check each VM alone (each fits: 18 + 1 <= 20),
    // so the plan file exists; together three 1-core VMs need 21 of 20 cores.
    s.write("main.tf", withProvider(estate({ webs: 3, apiCores: 6, old: false, pool: true, memory: 96, small: 3 })).replace('provider "otterscale" {}', 'provider "otterscale" {\n  review_checks = "resource"\n}'));
    const plan = await planJson(s);
    const report = await cliJson<ReportJson>(["report", "--terraform-plan", plan], { home: s.home }, 2);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.errors.map((e) => [e.address, e.code, e.detail]),
      [["otterscale_virtual_machine.small[2]", "quota_exceeded", "quota exceeded for tenant acme in group g: cpu_cores requested 1, used 20, limit 20"]],
    );
    const md = await cli(["report", "--terraform-plan", plan], { home: s.home });
    assert.equal(md.code, 2);
    assert.match(md.stdout, /^\*\*Cannot apply: 1 error\.\*\* 3 changes to otterscale resources: 3 create/m);
    assert.ok(
      md.stdout.includes("- `otterscale_virtual_machine.small[2]` (`cpu_cores`): **quota_exceeded**: quota exceeded for tenant acme in group g: cpu_cores requested 1, used 20, limit 20"),
      md.stdout,
    );
    assert.ok(md.stdout.includes("| cpu_cores | 18 -> 20 | 20 | `██████████ 100%` |"), md.stdout);
  });

  it("an errored plan (terraform >= 1.11 still writes the file) is reported as cannot apply, exit 2", async () => {
    // api alone asks for 30 of the 20-core quota: terraform plan fails, yet writes the plan file
    // marked "errored".
    s.write("main.tf", withProvider(estate({ webs: 3, apiCores: 30, old: false, pool: true, memory: 96 })));
    const planned = await s.run(["plan", "-out", "errored.tfplan", "-no-color"]);
    assert.equal(planned.code, 1, planned.stdout + planned.stderr);
    const shown = await s.run(["show", "-json", "errored.tfplan"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { errored?: boolean }).errored, true, "terraform marked the plan errored");
    const file = path.join(s.dir, "errored.json");
    writeFileSync(file, shown.stdout);
    const report = await cliJson<ReportJson>(["report", "--terraform-plan", file], { home: s.home }, 2);
    assert.equal(report.ok, false);
    assert.equal(report.errors[0].code, "plan_errored");
    assert.match(report.errors[0].detail, /terraform could not finish planning/);
    const md = await cli(["report", "--terraform-plan", file], { home: s.home });
    assert.equal(md.code, 2);
    assert.match(md.stdout, /^\*\*Cannot apply: \d+ errors?\.\*\*/m);
    assert.doesNotMatch(md.stdout, /Can apply\./);
  });

  it("input errors: a binary plan file or a non-plan JSON is a usage error (exit 1) with a hint", async () => {
    const binary = await cli(["report", "--terraform-plan", path.join(s.dir, "plan.tfplan")], { home: s.home });
    assert.equal(binary.code, 1);
    assert.match(binary.stderr, /is not JSON; produce it with `terraform plan -out plan.tfplan && terraform show -json plan.tfplan > plan.json`/);
    writeFileSync(path.join(s.dir, "other.json"), JSON.stringify({ hello: "world" }));
    const other = await cli(["report", "--terraform-plan", path.join(s.dir, "other.json")], { home: s.home });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /not the output of `terraform show -json <planfile>`/);
  });
});
