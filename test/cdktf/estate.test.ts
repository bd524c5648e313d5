/**
 * The `Estate` helper wires the generated constructs: servers, a group that waits for them, quotas
 * referencing the group, and `tenant()` references that make workloads wait for their quota.
 */
import { strict as assert } from "node:assert";
import { Testing, TerraformStack } from "cdktf";
import { Estate, OtterscaleProvider, VirtualMachine } from "../../sdk/cdktf";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { testTempDir } from "../support/temp";

type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };

const server = (name: string) => ({ name, cpuCores: 16, memoryGib: 64, storageGib: 1000 });

function stack() {
  // An outdir of ours: Testing.app() would make one in $TMPDIR and never remove it.
  const s = new TerraformStack(Testing.app({ outdir: testTempDir("cdktf-app-") }), "test");
  new OtterscaleProvider(s, "otterscale");
  return s;
}

describe("cdktf Estate helper", () => {
  it("servers, group depending on them, quotas on the group, workloads on the quota", () => {
    const s = stack();
    const estate = new Estate(s, "prod", {
      servers: [server("s1"), server("s2")],
      group: { name: "g", servers: ["s1"], selector: { labels: { pool: "x" } }, placementStrategy: "spread" },
      quotas: { acme: { cpuCores: 8, maxVirtualMachines: 2 } },
    });
    new VirtualMachine(s, "vm", { ...estate.tenant("acme"), name: "vm", cpuCores: 1, memoryGib: 1, diskGib: 1 });
    const json = JSON.parse(Testing.synth(s)) as Json;

    const servers = json.resource.otterscale_server;
    assert.deepEqual(Object.values(servers).map((r) => r.name).sort(), ["s1", "s2"]);
    const [[groupId, group]] = Object.entries(json.resource.otterscale_baremetal_group);
    assert.deepEqual([...(group.depends_on as string[])].sort(), Object.keys(servers).map((id) => `otterscale_server.${id}`).sort());
    assert.deepEqual([group.name, group.servers, group.placement_strategy], ["g", ["s1"], "spread"]);
    const [[quotaId, quota]] = Object.entries(json.resource.otterscale_tenant_quota);
    assert.deepEqual([quota.tenant, quota.group, quota.cpu_cores, quota.max_virtual_machines], ["acme", `\${otterscale_baremetal_group.${groupId}.name}`, 8, 2]);
    const vm = json.resource.otterscale_virtual_machine.vm;
    assert.deepEqual([vm.tenant, vm.group], [`\${otterscale_tenant_quota.${quotaId}.tenant}`, `\${otterscale_tenant_quota.${quotaId}.group}`]);
    assert.equal(estate.servers.s2.node.id, "server-s2");
    assert.equal(Object.keys(estate.quotas).join(), "acme");
  });

  it("an aliased provider applies to every resource of the estate", () => {
    const s = stack();
    const other = new OtterscaleProvider(s, "other", { alias: "other" });
    new Estate(s, "prod", { servers: [server("s1")], group: { name: "g" }, quotas: { acme: {} }, provider: other });
    const json = JSON.parse(Testing.synth(s)) as Json;
    for (const type of ["otterscale_server", "otterscale_baremetal_group", "otterscale_tenant_quota"]) {
      for (const r of Object.values(json.resource[type])) assert.equal(r.provider, "otterscale.other", type);
    }
  });

  it("tenant() of a tenant without a quota is a not_found error naming the known tenants", () => {
    const estate = new Estate(stack(), "prod", { servers: [], group: { name: "g" }, quotas: { acme: {}, globex: {} } });
    assert.throws(
      () => estate.tenant("initech"),
      (e: unknown) => OtterscaleError.isInstance(e) && e.code === "not_found" && /no quota for tenant initech \(quotas: acme, globex\)/.test(e.message),
    );
  });

  it("a server listed twice is an invalid_input error", () => {
    assert.throws(
      () => new Estate(stack(), "prod", { servers: [server("s1"), server("s1")], group: { name: "g" } }),
      (e: unknown) => OtterscaleError.isInstance(e) && e.code === "invalid_input" && /server s1 is listed twice/.test(e.message),
    );
  });
});
