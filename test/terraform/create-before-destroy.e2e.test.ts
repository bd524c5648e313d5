/**
 * create_before_destroy over the tenant's last GPU (real terraform).
 *
 * A provider never sees create_before_destroy, so the rulebook (engine/review/rules.ts) credits a
 * replacement with its old object only when the identity stays (one identity cannot exist twice,
 * so the old one must go first). A renamed VM must fit next to the old one: the plan says it
 * cannot apply, and why. A deposed object left by an apply that ran anyway (an older provider
 * let it through) never blocks the next plan: without the setting it plans, and the apply
 * converges (Terraform creates before it destroys a deposed object; the create finds the object
 * and keeps it, so the deposed copy's delete removes nothing).
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { cli } from "../cli/cli-harness";
import { tfSession, withProvider, type RunResult, type TfSession } from "./tf-harness";

const flat = (text: string) => text.replace(/\s+/g, " ");

const ESTATE = `
resource "otterscale_server" "s" {
  name        = "s"
  cpu_cores   = 32
  memory_gib  = 64
  storage_gib = 1000
  gpus        = [{ model = "a100", count = 1 }]
}
resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.s.name]
}
resource "otterscale_tenant_quota" "q" {
  tenant    = "acme"
  group     = otterscale_baremetal_group.g.name
  cpu_cores = 16
  gpus      = 1
}
`;
const VM = (name: string, cbd: boolean) => `
resource "otterscale_virtual_machine" "web" {
  name       = "${name}"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
  gpu_model  = "a100"
  gpu_count  = 1
${cbd ? "  lifecycle {\n    create_before_destroy = true\n  }\n" : ""}}
`;

describe("create_before_destroy over the last GPU (real binary)", function () {
  this.timeout(300_000);
  let s: TfSession;
  const run = async (args: string[], expect = 0): Promise<RunResult> => {
    const r = await s.run([...args, "-no-color"]);
    assert.equal(r.code, expect, `terraform ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const vms = async () => {
    const a = JSON.parse((await cli(["-o", "json", "allocations"], { home: s.home })).stdout) as { allocations: { id: string }[] };
    return a.allocations.map((x) => x.id);
  };
  before(async () => {
    s = await tfSession();
    s.write("main.tf", withProvider(ESTATE + VM("web", false)));
    await run(["apply", "-auto-approve"]);
  });
  after(() => s?.close());

  it("the plan says the renamed VM cannot be created while the old one still holds the GPU", async () => {
    s.write("main.tf", withProvider(ESTATE + VM("web2", true)));
    const plan = await run(["plan"], 1);
    const text = flat(plan.stderr);
    assert.match(text, /Tenant quota exceeded/);
    assert.match(text, /gpus requested 1, used 1, limit 1/);
    assert.match(text, /Counted although this plan frees them: virtual_machine acme\/web \(replaced\)/);
    assert.match(text, /create_before_destroy/);
    assert.deepEqual(await vms(), ["acme/web"]);
  });

  it("a deposed object left by an apply that ran anyway: the next plan without the setting succeeds and apply converges", async () => {
    // What a create_before_destroy apply that failed at its re-plan leaves: the old VM deposed, no current object.
    await run(["state", "pull"]).then((r) => writeFileSync(path.join(s.dir, "pulled.tfstate"), r.stdout));
    const state = JSON.parse(readFileSync(path.join(s.dir, "pulled.tfstate"), "utf8")) as { serial: number; resources: { type: string; instances: { deposed?: string }[] }[] };
    const web = state.resources.find((r) => r.type === "otterscale_virtual_machine")!;
    web.instances[0].deposed = "00000001";
    state.serial += 1;
    writeFileSync(path.join(s.dir, "deposed.tfstate"), JSON.stringify(state));
    await run(["state", "push", "deposed.tfstate"]);

    s.write("main.tf", withProvider(ESTATE + VM("web", false)));
    const plan = await run(["plan"]);
    assert.match(plan.stdout, /\(deposed object \w+\) will be destroyed/);
    assert.match(plan.stdout, /Plan: 1 to add, 0 to change, 1 to destroy/);
    await run(["apply", "-auto-approve"]);
    assert.deepEqual(await vms(), ["acme/web"], "the VM still exists (the deposed copy's delete removed nothing)");
    assert.match((await run(["plan", "-detailed-exitcode"])).stdout, /No changes/);
    const shown = JSON.parse((await run(["show", "-json"])).stdout) as { values: { root_module: { resources: { address: string; deposed_key?: string }[] } } };
    assert.deepEqual(
      shown.values.root_module.resources.filter((r) => r.address.startsWith("otterscale_virtual_machine")).map((r) => [r.address, r.deposed_key ?? null]),
      [["otterscale_virtual_machine.web", null]],
    );
  });
});
