/**
 * Two Terraform workspaces (`terraform workspace new`: two states of one configuration) on one
 * ledger and one manifests directory, with the REAL terraform binary and provider. Workspace A applies a VM; workspace B
 * declaring the same VM fails at plan, naming A's owner; `terraform import` in B takes the VM
 * over (audited); A's next plan then shows it gone from A's state — never destroyed.
 */
import { strict as assert } from "node:assert";
import { cli } from "../cli/cli-harness";
import { tfSession, withProvider, type RunResult, type TfSession } from "./tf-harness";

const flat = (text: string) => text.replace(/\s+/g, " ");

const INVENTORY = `
resource "otterscale_server" "s1" {
  name        = "s1"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}
resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.s1.name]
}
resource "otterscale_tenant_quota" "q" {
  tenant    = "acme"
  group     = otterscale_baremetal_group.g.name
  cpu_cores = 16
}
`;

/** The VM; in the inventory's own configuration its group is a reference (planned after the quota). */
const vmWith = (group: string) => `
resource "otterscale_virtual_machine" "web" {
  name       = "web"
  tenant     = "acme"
  group      = ${group}
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
}
`;
const VM = vmWith(`"g"`);
const WITH_INVENTORY = INVENTORY + vmWith("otterscale_tenant_quota.q.group");

describe("ownership between two Terraform workspaces (real binary)", function () {
  this.timeout(300_000);
  let s: TfSession;

  const run = async (args: string[], expect = 0): Promise<RunResult> => {
    const r = await s.run([...args, "-no-color"]);
    assert.equal(r.code, expect, `terraform ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const audit = async () => JSON.parse((await cli(["-o", "json", "audit"], { home: s.home })).stdout) as { events: { op: string; id: string; delta: Record<string, unknown> }[] };

  before(async () => {
    s = await tfSession();
    s.write("main.tf", withProvider(WITH_INVENTORY));
    await run(["apply", "-auto-approve"]); // workspace "default" owns everything
  });
  after(() => s?.close());

  it("a second workspace declaring the same VM fails at plan, naming the owner; nothing is written", async () => {
    await run(["workspace", "new", "other"]);
    s.write("main.tf", withProvider(VM));
    const before = (await audit()).events.length;
    const r = await run(["apply", "-auto-approve"], 1);
    const text = flat(r.stdout + r.stderr);
    assert.doesNotMatch(text, /Apply complete|Creating\.\.\./, "refused at plan, before any apply");
    assert.match(text, /Error: Object belongs to another workspace or stack/);
    assert.match(text, /virtual_machine acme\/web belongs to terraform:work\/default, so terraform:work\/other cannot create it/);
    assert.match(text, /terraform import/);
    assert.equal((await audit()).events.length, before, "the plan wrote nothing");
  });

  it("terraform import there, then apply, takes it over (audited); the first workspace's next plan drops it from state without destroying it", async () => {
    const before = (await audit()).events.length;
    await run(["import", "otterscale_virtual_machine.web", "acme/web"]);
    assert.equal((await audit()).events.length, before, "the import itself writes nothing");
    const takeoverPlan = await run(["plan"]);
    assert.match(takeoverPlan.stdout, /otterscale_virtual_machine\.web will be updated in-place/, "the takeover is applied as an update");
    await run(["apply", "-auto-approve"]);
    const takeover = (await audit()).events.filter((e) => e.op === "takeover");
    assert.deepEqual(takeover.map((e) => [e.id, e.delta]), [["acme/web", { from: "terraform:work/default", to: "terraform:work/other" }]]);
    assert.match((await run(["plan"])).stdout, /No changes/);

    await run(["workspace", "select", "default"]);
    s.write("main.tf", withProvider(WITH_INVENTORY));
    const refresh = await run(["plan", "-refresh-only"]);
    assert.match(flat(refresh.stdout), /otterscale_virtual_machine\.web has been deleted/, "gone from the first workspace's view");
    // The first workspace hands it over: it leaves its configuration, and nothing is destroyed.
    s.write("main.tf", withProvider(INVENTORY));
    const plan = await run(["plan"]);
    assert.doesNotMatch(plan.stdout, /will be destroyed/);
    await run(["apply", "-auto-approve"]);
    const vms = JSON.parse((await cli(["-o", "json", "allocations"], { home: s.home })).stdout) as { allocations: { id: string; backend: string; owner: string }[] };
    assert.deepEqual(vms.allocations.map((v) => [v.id, v.backend, v.owner]), [["acme/web", "present", "terraform:work/other"]], "the VM still runs, now the other workspace's");
    const table = (await cli(["allocations"], { home: s.home })).stdout;
    assert.match(table, /OWNER/);
    assert.match(table, /web .*terraform:work\/other/);

    // The new owner changes it; the old one could not even plan to.
    await run(["workspace", "select", "other"]);
    s.write("main.tf", withProvider(VM.replace("cpu_cores  = 2", "cpu_cores  = 4")));
    await run(["apply", "-auto-approve"]);
    const after = JSON.parse((await cli(["-o", "json", "allocations"], { home: s.home })).stdout) as { allocations: { id: string; charge: { cpu_cores: number } }[] };
    assert.equal(after.allocations[0].charge.cpu_cores, 4);
  });
});

describe("a plan with an import block writes nothing (real binary)", function () {
  this.timeout(300_000);
  let s: TfSession;
  after(() => s?.close());

  it("terraform plan with `import {}` in another workspace leaves the ledger untouched; apply takes it over", async () => {
    s = await tfSession();
    s.write("main.tf", withProvider(WITH_INVENTORY));
    assert.equal((await s.run(["apply", "-auto-approve", "-no-color"])).code, 0);
    assert.equal((await s.run(["workspace", "new", "other", "-no-color"])).code, 0);
    s.write("main.tf", withProvider(`import {\n  to = otterscale_virtual_machine.web\n  id = "acme/web"\n}\n${VM}`));
    const auditOf = async () => (await cli(["-o", "json", "audit"], { home: s.home })).stdout;
    const before = await auditOf();
    const plan = await s.run(["plan", "-no-color"]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /1 to import/);
    assert.equal(await auditOf(), before, "the plan wrote nothing: no takeover");
    const applied = await s.run(["apply", "-auto-approve", "-no-color"]);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const events = JSON.parse(await auditOf()) as { events: { op: string; id: string }[] };
    assert.ok(events.events.some((e) => e.op === "takeover" && e.id === "acme/web"));
  });
});
