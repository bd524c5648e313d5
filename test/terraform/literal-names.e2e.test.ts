/**
 * Plans never block a way out (real terraform). A configuration that names its group and quota
 * by literal strings (as `-generate-config-out` writes it) cannot be checked at plan time when
 * those objects do not exist yet: the plan warns "Checked at apply" instead of failing, the apply
 * creates everything from empty (a reservation waits briefly for what a parallel step is
 * creating), and a destroy after a partial, targeted apply succeeds.
 */
import { strict as assert } from "node:assert";
import { cli } from "../cli/cli-harness";
import { tfSession, withProvider, type RunResult, type TfSession } from "./tf-harness";

const flat = (text: string) => text.replace(/\s+/g, " ");

const LITERAL = `
resource "otterscale_server" "a" {
  name        = "a"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}
resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = ["a"]
}
resource "otterscale_tenant_quota" "q" {
  tenant    = "acme"
  group     = "g"
  cpu_cores = 8
}
resource "otterscale_virtual_machine" "web" {
  name       = "web"
  tenant     = "acme"
  group      = "g"
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
}
`;

describe("literal names: plans never block a way out (real binary)", function () {
  this.timeout(300_000);
  let s: TfSession;
  const run = async (args: string[], expect = 0): Promise<RunResult> => {
    const r = await s.run([...args, "-no-color"]);
    assert.equal(r.code, expect, `terraform ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  beforeEach(async () => {
    s = await tfSession();
    s.write("main.tf", withProvider(LITERAL));
  });
  afterEach(() => s?.close());

  it("a literal-name configuration plans and applies from empty", async () => {
    // Planned in one wave, the review session judges inventory before what uses it
    // (engine/review/order.ts), so the VM is checked against the group and quota this plan
    // creates; anything planned before what it names gets "Checked at apply" instead of an error.
    const plan = await run(["plan"]);
    assert.doesNotMatch(flat(plan.stdout + plan.stderr), /Error:/);
    assert.match(plan.stdout, /Plan: 4 to add/);
    await run(["apply", "-auto-approve"]);
    const alloc = JSON.parse((await cli(["-o", "json", "allocations"], { home: s.home })).stdout) as { allocations: { id: string; servers: string[] }[] };
    assert.deepEqual(alloc.allocations.map((a) => [a.id, a.servers]), [["acme/web", ["a"]]]);
    assert.match((await run(["plan", "-detailed-exitcode"])).stdout, /No changes/);
  });

  it("a destroy after a partial, targeted apply succeeds", async () => {
    await run(["apply", "-auto-approve", "-target=otterscale_server.a"]);
    await run(["destroy", "-auto-approve"]);
    const inv = JSON.parse((await cli(["-o", "json", "inventory"], { home: s.home })).stdout) as { servers: unknown[] };
    assert.deepEqual(inv.servers, []);
  });
});
