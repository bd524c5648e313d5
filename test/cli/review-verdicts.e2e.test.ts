/**
 * One rulebook, three front ends: the same change, from the same estate, gets the same verdicts
 * through `terraform plan` (real binary), a Pulumi preview (the real dynamic-provider host over
 * gRPC, its checks arriving together as Pulumi sends them) and `otterscale report` on the plan.
 *
 * Estate: quota acme/g of 10 cores, VM a of 8 cores. Change: a shrinks 8 -> 4, b (6 cores) and
 * c (2 cores) are created. The rulebook (engine/review/rules.ts): a holds 8 until its update
 * commits, so b (8 + 6 > 10) is refused and c (8 + 2 = 10) fits. Crediting a's shrink (the old
 * report and Terraform plan did) would pass b and refuse c instead.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { HostProcess, initStackLedger, serializedProviders, stackConfig, tempDir, type Props } from "../pulumi/support";
import { tfSession, withProvider, type TfSession } from "../terraform/tf-harness";
import { cli } from "./cli-harness";

const ESTATE = `
resource "otterscale_server" "s" {
  name        = "s"
  cpu_cores   = 32
  memory_gib  = 64
  storage_gib = 1000
}
resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.s.name]
}
resource "otterscale_tenant_quota" "q" {
  tenant    = "acme"
  group     = otterscale_baremetal_group.g.name
  cpu_cores = 10
}
`;
const SIZES_BEFORE: Record<string, number> = { a: 8 };
const SIZES_AFTER: Record<string, number> = { a: 4, b: 6, c: 2 };

const vmHcl = (sizes: Record<string, number>) =>
  Object.entries(sizes)
    .map(
      ([n, cpu]) => `resource "otterscale_virtual_machine" "${n}" {
  name       = "${n}"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = ${cpu}
  memory_gib = 1
  disk_gib   = 1
}`,
    )
    .join("\n");

const vmArgs = (name: string, cpu: number) => ({ name, tenant: "acme", group: "g", cpu_cores: cpu, memory_gib: 1, disk_gib: 1, gpu_count: 0, run_strategy: "Always" });

/** Verdicts as "name code", sorted. */
type Verdicts = string[];

describe("one rulebook: identical verdicts through terraform plan, a pulumi preview and the report", function () {
  this.timeout(300_000);
  let s: TfSession;
  let host: HostProcess | undefined;
  after(async () => {
    await host?.stop();
    await s?.close();
  });

  it("refuses b (and only b) in all three", async () => {
    // ---- Terraform: apply the estate, then plan the change.
    s = await tfSession();
    s.write("main.tf", withProvider(ESTATE + vmHcl(SIZES_BEFORE)));
    const applied = await s.run(["apply", "-auto-approve", "-no-color"]);
    assert.equal(applied.code, 0, applied.stderr);
    s.write("main.tf", withProvider(ESTATE + vmHcl(SIZES_AFTER)));
    const plan = await s.run(["plan", "-no-color"]);
    assert.equal(plan.code, 1, plan.stdout);
    const terraform: Verdicts = [...plan.stderr.matchAll(/Error: ([^\n]+)\n\n\s+with otterscale_virtual_machine\.(\w+),/g)].map((m) => `${m[2]} ${m[1]}`).sort();

    // ---- The report, on the same ledger, for the plan `terraform show -json` prints for this change.
    const doc = {
      format_version: "1.2",
      resource_changes: [
        { address: "otterscale_virtual_machine.a", mode: "managed", type: "otterscale_virtual_machine", change: { actions: ["update"], before: { id: "acme/a", ...vmArgs("a", 8) }, after: vmArgs("a", 4) } },
        { address: "otterscale_virtual_machine.b", mode: "managed", type: "otterscale_virtual_machine", change: { actions: ["create"], before: null, after: vmArgs("b", 6) } },
        { address: "otterscale_virtual_machine.c", mode: "managed", type: "otterscale_virtual_machine", change: { actions: ["create"], before: null, after: vmArgs("c", 2) } },
      ],
    };
    const planJson = path.join(s.dir, "plan.json");
    writeFileSync(planJson, JSON.stringify(doc));
    const r = await cli(["report", "--terraform-plan", planJson, "--output", "json"], { home: s.home });
    assert.equal(r.code, 2, r.stderr);
    const report: Verdicts = (JSON.parse(r.stdout) as { errors: { address: string; summary: string }[] }).errors.map((e) => `${e.address.split(".").pop()} ${e.summary}`).sort();

    // ---- Pulumi: the same estate through the host, then the change's checks sent together.
    const home = tempDir("verdicts-pulumi-");
    await initStackLedger(home);
    const texts = await serializedProviders();
    host = await HostProcess.start({ cwd: tempDir("verdicts-cwd-") });
    await host.configure(stackConfig(home));
    const urn = (kind: ResourceKind, name: string) => `urn:pulumi:test::verdicts::pulumi-nodejs:dynamic/otterscale:${kind}::${name}`;
    const apply = async (kind: ResourceKind, inputs: Props) => {
      const checked = await host!.check(urn(kind, String(inputs.name ?? inputs.tenant)), {}, { ...inputs, __provider: texts[kind] });
      assert.deepEqual(checked.failures, []);
      await host!.create(checked.inputs);
      return checked.inputs;
    };
    await apply("server", { name: "s", cpuCores: 32, memoryGib: 64, storageGib: 1000 });
    await apply("baremetal_group", { name: "g", servers: ["s"] });
    await apply("tenant_quota", { tenant: "acme", group: "g", cpuCores: 10 });
    const pvm = (name: string, cpuCores: number): Props => ({ name, tenant: "acme", group: "g", cpuCores, memoryGib: 1, diskGib: 1, __provider: texts.virtual_machine });
    const a = await apply("virtual_machine", pvm("a", 8));
    await host.stop();
    host = await HostProcess.start({ cwd: tempDir("verdicts-cwd-") }); // a preview is a fresh host
    await host.configure(stackConfig(home));
    const checks = await Promise.all([
      host.check(urn("virtual_machine", "c"), {}, pvm("c", 2)),
      host.check(urn("virtual_machine", "b"), {}, pvm("b", 6)),
      host.check(urn("virtual_machine", "a"), a, { ...pvm("a", 4) }),
    ]);
    const names = ["c", "b", "a"];
    const pulumi: Verdicts = checks.flatMap((c, i) => c.failures.map((f) => `${names[i]} ${/quota exceeded/.test(f.reason) ? "Tenant quota exceeded" : f.reason}`)).sort();

    assert.deepEqual(terraform, ["b Tenant quota exceeded"], plan.stderr);
    assert.deepEqual(report, terraform, r.stdout);
    assert.deepEqual(pulumi, terraform, JSON.stringify(checks));
  });
});
