import { FakeEngine } from "./fake-engine";
import { tfSession, withProvider } from "./tf-harness";
describe("scratch", () => {
  it("reattach plan/apply", async () => {
    const engine = new FakeEngine();
    const s = await tfSession({ engine });
    s.write("main.tf", withProvider(`
resource "otterscale_tenant_quota" "q" {
  tenant = "team-a"
  group = "g1"
  cpu_cores = 8
}
resource "otterscale_virtual_machine" "web" {
  name = "web"
  tenant = otterscale_tenant_quota.q.tenant
  group = "g1"
  cpu_cores = 2
  memory_gib = 0.1
  disk_gib = 20
  placement = { spread_domain = "rack" }
  timeouts { create = "10m" }
}
resource "otterscale_block_pool" "p" {
  name = "p"
  tenant = "team-a"
  group = "g1"
  size_gib = 100
  deletion_protection = false
}
`));
    for (const args of [["plan", "-no-color"], ["apply", "-auto-approve", "-no-color"], ["plan", "-no-color", "-detailed-exitcode"], ["destroy", "-auto-approve", "-no-color"]]) {
      const r = await s.run(args);
      console.log(args.join(" "), r.code, r.stdout.slice(-3000), r.stderr);
    }
    console.log(JSON.stringify(engine.calls.map(c => [c.op, c.kind, c.id, c.opts?.timeoutMs])));
    await s.close();
  });
});
