/**
 * Refusals at plan (real terraform): what a destroy would hit at apply is reported by
 * `terraform plan -destroy`, naming the blocker, before anything is destroyed. The provider asks
 * for PlanResourceChange on deletes (server capability plan_destroy) and the engine runs the very
 * delete guard apply runs.
 */
import { strict as assert } from "node:assert";
import { cli } from "../cli/cli-harness";
import { tfSession, withProvider, type RunResult, type TfSession } from "./tf-harness";

const flat = (text: string) => text.replace(/\s+/g, " ");

const ESTATE = (protect: boolean) => `
resource "otterscale_server" "a" {
  name        = "a"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}
resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.a.name]
}
resource "otterscale_tenant_quota" "q" {
  tenant      = "acme"
  group       = otterscale_baremetal_group.g.name
  cpu_cores   = 8
  storage_gib = 500
}
resource "otterscale_virtual_machine" "web" {
  name       = "web"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
}
resource "otterscale_block_pool" "p" {
  name                = "p"
  tenant              = otterscale_tenant_quota.q.tenant
  group               = otterscale_tenant_quota.q.group
  size_gib            = 50
  replicas            = 1
  deletion_protection = ${protect}
}
`;

describe("refusals at plan: plan -destroy names what apply would refuse (real binary)", function () {
  this.timeout(300_000);
  let s: TfSession;
  const run = async (args: string[], expect = 0): Promise<RunResult> => {
    const r = await s.run([...args, "-no-color"]);
    assert.equal(r.code, expect, `terraform ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const objects = async () => {
    const inv = JSON.parse((await cli(["-o", "json", "allocations"], { home: s.home })).stdout) as { allocations: { id: string }[] };
    return inv.allocations.map((a) => a.id).sort();
  };
  beforeEach(async () => {
    s = await tfSession();
  });
  afterEach(() => s?.close());

  it("plan -destroy fails naming deletion_protection; destroy refuses before destroying anything", async () => {
    s.write("main.tf", withProvider(ESTATE(true)));
    await run(["apply", "-auto-approve"]);
    const plan = await run(["plan", "-destroy"], 1);
    assert.match(flat(plan.stderr), /deletion_protection = true/);
    assert.match(flat(plan.stderr), /otterscale_block_pool\.p/);
    // No other resource is blamed: the VM, quota, group and server could all go.
    assert.equal((plan.stderr.match(/Error:/g) ?? []).length, 1, plan.stderr);
    const destroy = await run(["destroy", "-auto-approve"], 1);
    assert.match(flat(destroy.stderr), /deletion_protection = true/);
    assert.deepEqual(await objects(), ["acme/p", "acme/web"], "nothing was destroyed");
  });

  it("a destroy whose dependants go first plans and applies", async () => {
    s.write("main.tf", withProvider(ESTATE(false)));
    await run(["apply", "-auto-approve"]);
    const plan = await run(["plan", "-destroy"]);
    assert.match(plan.stdout, /Plan: 0 to add, 0 to change, 5 to destroy/);
    await run(["destroy", "-auto-approve"]);
    assert.deepEqual(await objects(), []);
  });

  it("removing a quota that another workspace's VM still uses fails at plan, naming the VM", async () => {
    s.write("main.tf", withProvider(ESTATE(false)));
    await run(["apply", "-auto-approve"]);
    // The VM and the pool leave this configuration's state but stay in the ledger (as if another
    // configuration held them): the quota's delete is refused at plan, naming them.
    await run(["state", "rm", "otterscale_virtual_machine.web", "otterscale_block_pool.p"]);
    s.write("main.tf", withProvider(ESTATE(false).replace(/resource "otterscale_virtual_machine"[\s\S]*/, "")));
    const plan = await run(["plan", "-destroy"], 1);
    assert.match(flat(plan.stderr), /cannot delete the quota of tenant acme in group g: the tenant still holds block_pool acme\/p, virtual_machine acme\/web/);
  });
});
