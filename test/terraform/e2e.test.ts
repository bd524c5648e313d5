/**
 * End-to-end with the REAL terraform binary (1.11.4), read like a user's session.
 * Provider schema: terraform starts bin/terraform-provider-otterscale itself (dev_overrides).
 * Lifecycle: the provider runs in-process with the fake engine and terraform reattaches to it;
 * to run these against the real engine, drop the `engine` option of tfSession.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { FakeEngine } from "./fake-engine";
import { TERRAFORM, tfSession, withProvider, type TfSession } from "./tf-harness";

const haveTerraform = existsSync(TERRAFORM);

describe("terraform e2e (real terraform binary)", function () {
  this.timeout(180_000);
  // No silent skip: without the binary these tests fail and say where they looked.
  before(() => assert.ok(haveTerraform, `terraform not found at ${TERRAFORM} (set TERRAFORM_BIN)`));

  it("`terraform providers schema -json` lists every resource and data source, no init needed", async () => {
    const s = await tfSession();
    try {
      s.write("main.tf", withProvider(""));
      const r = await s.run(["providers", "schema", "-json"]);
      assert.equal(r.code, 0, r.stderr);
      const schema = JSON.parse(r.stdout).provider_schemas["registry.terraform.io/otterscale/otterscale"];
      assert.deepEqual(Object.keys(schema.resource_schemas).sort(), [
        "otterscale_baremetal_group",
        "otterscale_block_pool",
        "otterscale_server",
        "otterscale_tenant_quota",
        "otterscale_vcluster",
        "otterscale_virtual_machine",
      ]);
      assert.deepEqual(Object.keys(schema.data_source_schemas).sort(), [
        "otterscale_group_capacity",
        "otterscale_servers",
        "otterscale_tenant_usage",
        "otterscale_vcluster",
        "otterscale_virtual_machine",
      ]);
      assert.deepEqual(Object.keys(schema.ephemeral_resource_schemas), ["otterscale_vcluster_kubeconfig"]);
      const vm = schema.resource_schemas.otterscale_virtual_machine.block;
      assert.equal(vm.attributes.placement.nested_type.nesting_mode, "single");
      assert.equal(vm.attributes.user_data.sensitive, true);
      assert.equal(vm.attributes.user_data_wo.write_only, true);
      assert.deepEqual(Object.keys(vm.block_types), ["timeouts"]);
    } finally {
      await s.close();
    }
  });

  describe("with the fake engine (reattach)", () => {
    let engine: FakeEngine;
    let s: TfSession;
    beforeEach(async () => {
      engine = new FakeEngine();
      s = await tfSession({ engine });
    });
    afterEach(() => s.close());

    const vm = (name: string, cpu: number, extra = "") => `
resource "otterscale_virtual_machine" "${name}" {
  name       = "${name}"
  tenant     = "team-a"
  group      = "general"
  cpu_cores  = ${cpu}
  memory_gib = 0.5
  disk_gib   = 20
  placement  = { spread_domain = "rack" }
${extra}
}
`;

    it("plan, apply, re-plan (no changes), update in place, destroy", async () => {
      s.write("main.tf", withProvider(vm("web", 2, '  timeouts {\n    create = "10m"\n  }')));
      const plan = await s.run(["plan", "-no-color"]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /otterscale_virtual_machine.web will be created/);
      assert.match(plan.stdout, /\+ server\s+= \(known after apply\)/);
      assert.match(plan.stdout, /\+ run_strategy = "Always"/);

      const apply = await s.run(["apply", "-auto-approve", "-no-color"]);
      assert.equal(apply.code, 0, apply.stderr);
      assert.match(apply.stdout, /Creation complete after \d+s \[id=team-a\/web\]/);
      assert.equal(engine.calls.find((c) => c.op === "create")!.opts!.timeoutMs, 600_000);

      const again = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(again.code, 0, `no changes expected:\n${again.stdout}${again.stderr}`);

      s.write("main.tf", withProvider(vm("web", 4)));
      const resize = await s.run(["apply", "-auto-approve", "-no-color"]);
      assert.equal(resize.code, 0, resize.stderr);
      assert.match(resize.stdout, /~ cpu_cores\s+= 2 -> 4/);
      assert.doesNotMatch(resize.stdout, /server\s+= "srv-1" -> \(known after apply\)/);
      assert.match(resize.stdout, /1 changed, 0 destroyed/);

      const destroy = await s.run(["destroy", "-auto-approve", "-no-color"]);
      assert.equal(destroy.code, 0, destroy.stderr);
      assert.match(destroy.stdout, /Destroy complete! Resources: 1 destroyed/);
      assert.equal(engine.objects.size, 0);
    });

    it("a plan error from the engine names the attribute (the creates of the plan checked together)", async () => {
      s.write(
        "main.tf",
        withProvider(`
resource "otterscale_tenant_quota" "a" {
  tenant    = "team-a"
  group     = "general"
  cpu_cores = 8
}
${vm("one", 4)}
${vm("two", 4)}
${vm("three", 2)}`),
      );
      assert.equal((await s.run(["apply", "-auto-approve", "-target=otterscale_tenant_quota.a", "-no-color"])).code, 0);
      const plan = await s.run(["plan", "-no-color"]);
      assert.equal(plan.code, 1);
      assert.match(plan.stderr, /Error: Tenant quota exceeded/);
      assert.match(plan.stderr, /cpu_cores requested \d, used \d+, limit 8/);
      // Terraform points at the attribute's line in the configuration
      assert.match(plan.stderr, /cpu_cores\s+= \d/);
    });

    it("a validation error points at the nested attribute", async () => {
      s.write("main.tf", withProvider(vm("bad", 2).replace('spread_domain = "rack"', 'spread_domain = "planet"')));
      const plan = await s.run(["plan", "-no-color"]);
      assert.equal(plan.code, 1);
      assert.match(plan.stderr, /Error: Invalid attribute value/);
      assert.match(plan.stderr, /placement\.spread_domain must be one of "server", "rack", "zone"/);
    });

    it("terraform import by tenant/name", async () => {
      await engine.create("virtual_machine", { name: "legacy", tenant: "team-a", group: "general", cpu_cores: 2, memory_gib: 0.5, disk_gib: 20, placement: { spread_domain: "rack" } });
      s.write("main.tf", withProvider(vm("legacy", 2)));
      const imp = await s.run(["import", "-no-color", "otterscale_virtual_machine.legacy", "team-a/legacy"]);
      assert.equal(imp.code, 0, imp.stderr);
      assert.match(imp.stdout, /Import successful!/);
      const plan = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    });
  });
});
