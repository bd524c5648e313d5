/**
 * One ledger, two front ends: a VM created by the REAL terraform binary (which starts
 * bin/terraform-provider-otterscale itself) and one created through the REAL Pulumi
 * dynamic-provider host count against the same tenant quota, because both go through the same
 * ledger under one OTTERSCALE_HOME.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { TERRAFORM, tfSession, withProvider, type TfSession } from "../terraform/tf-harness";
import { HostProcess, serializedProviders, stackConfig, tempDir, type Props } from "./support";

const tfVm = (name: string) => `
resource "otterscale_virtual_machine" "${name}" {
  name       = "${name}"
  tenant     = "shared"
  group      = "g"
  cpu_cores  = 2
  memory_gib = 2
  disk_gib   = 5
}
`;

describe("pulumi + terraform: one ledger, one quota", function () {
  this.timeout(180_000);
  let s: TfSession;
  let host: HostProcess;
  let texts: Record<ResourceKind, string>;

  before(async function () {
    assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM} (set TERRAFORM_BIN)`);
    texts = await serializedProviders();
    s = await tfSession(); // no injected engine: terraform runs the real provider binary
    host = await HostProcess.start({ cwd: tempDir("pulumi-cwd-"), env: { OTTERSCALE_HOME: s.home } });
    // Pulumi's stack config names the same ledger and manifests terraform's provider defaults to.
    await host.configure(stackConfig(s.home));
  });
  after(async () => {
    await host?.stop();
    await s?.close();
  });

  async function pulumiApply(kind: ResourceKind, inputs: Props): Promise<{ id: string; outs: Props }> {
    const checked = await host.check(`urn:${kind}`, {}, { ...inputs, __provider: texts[kind] });
    assert.deepEqual(checked.failures, []);
    return host.create(checked.inputs);
  }

  it("a VM from `terraform apply` and one from the Pulumi host share tenant shared's quota of 2 VMs", async () => {
    await pulumiApply("server", { name: "s1", cpuCores: 16, memoryGib: 64, storageGib: 500 });
    await pulumiApply("baremetal_group", { name: "g", servers: ["s1"] });
    await pulumiApply("tenant_quota", { tenant: "shared", group: "g", maxVirtualMachines: 2 });

    s.write("main.tf", withProvider(tfVm("tf-vm")));
    const apply = await s.run(["apply", "-auto-approve", "-no-color"]);
    assert.equal(apply.code, 0, apply.stderr + apply.stdout);

    const p = await pulumiApply("virtual_machine", { name: "pulumi-vm", tenant: "shared", group: "g", cpuCores: 2, memoryGib: 2, diskGib: 5 });
    assert.equal(p.id, "shared/pulumi-vm");

    // Pulumi's preview now sees terraform's VM: a third is refused at check time ...
    const third = await host.check("urn:vm3", {}, { name: "pulumi-vm-2", tenant: "shared", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1, __provider: texts.virtual_machine });
    // (each front end in its own words: Pulumi's camelCase here, Terraform's snake_case below)
    assert.deepEqual(third.failures, [{ property: "name", reason: "quota exceeded for tenant shared in group g: virtualMachines requested 1, used 2, limit 2" }]);
    // ... and terraform's plan sees Pulumi's.
    s.write("main.tf", withProvider(tfVm("tf-vm") + tfVm("tf-vm-2")));
    const plan = await s.run(["plan", "-no-color"]);
    assert.notEqual(plan.code, 0);
    assert.match(plan.stderr.replace(/\s+/g, " "), /quota exceeded for tenant shared in group g: virtual_machines requested 1, used 2, limit 2/);

    const engine = await openEngine({ ledgerUrl: `sqlite://${path.join(s.home, "ledger.db")}`, controllerUrl: `gitops://${path.join(s.home, "manifests")}` });
    try {
      const q = await engine.read("tenant_quota", "shared/g");
      assert.deepEqual([q!.used_virtual_machines, q!.used_cpu_cores, q!.used_storage_gib], [2, 4, 10]);
      assert.equal((await engine.read("virtual_machine", "shared/tf-vm"))!.server, "s1");
    } finally {
      await engine.close();
    }
  });
});
