/**
 * Deterministic blame (real terraform): five VMs that together exceed a quota are planned in
 * parallel, in whatever order Terraform happens to send them; the review session judges each wave
 * in address order, so the same VMs (the last ones in address order) are refused on every run.
 */
import { strict as assert } from "node:assert";
import { tfSession, withProvider, type TfSession } from "./tf-harness";

// Sizes 3, 2, 3, 2, 2 under a limit of 8: in address order a + b + c = 8, so d and e are refused.
// Judged in another order (say e, d, b first: 6), a different pair would be.
const SIZES: Record<string, number> = { a: 3, b: 2, c: 3, d: 2, e: 2 };

const CONFIG = `
resource "otterscale_server" "s" {
  name        = "s"
  cpu_cores   = 64
  memory_gib  = 256
  storage_gib = 4000
}
resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.s.name]
}
resource "otterscale_tenant_quota" "q" {
  tenant    = "acme"
  group     = otterscale_baremetal_group.g.name
  cpu_cores = 8
}
${Object.entries(SIZES)
  .map(
    ([n, cpu]) => `resource "otterscale_virtual_machine" "vm_${n}" {
  name       = "vm-${n}"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = ${cpu}
  memory_gib = 1
  disk_gib   = 1
}`,
  )
  .join("\n")}
`;

describe("deterministic blame when a batch crosses a quota (real binary)", function () {
  this.timeout(600_000);
  let s: TfSession;
  before(async () => {
    s = await tfSession();
    s.write("main.tf", withProvider(CONFIG));
  });
  after(() => s?.close());

  it("refuses the same VMs, the last ones in address order, on 5 runs", async () => {
    const blamed: string[][] = [];
    for (let run = 0; run < 5; run++) {
      const r = await s.run(["plan", "-no-color"]);
      assert.equal(r.code, 1, `run ${run + 1} should fail:\n${r.stdout}\n${r.stderr}`);
      const errors = r.stderr.split(/\n(?=Error: )/).filter((e) => e.startsWith("Error: "));
      for (const e of errors) assert.match(e, /Tenant quota exceeded/, e);
      blamed.push([...r.stderr.matchAll(/with (otterscale_virtual_machine\.\w+),/g)].map((m) => m[1]).sort());
    }
    for (const b of blamed) assert.deepEqual(b, ["otterscale_virtual_machine.vm_d", "otterscale_virtual_machine.vm_e"], JSON.stringify(blamed));
  });
});
