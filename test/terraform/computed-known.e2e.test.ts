/**
 * Computed values in plans, with the REAL terraform binary and provider executable:
 * - an in-place update keeps every computed value its change cannot affect known (the schema's
 *   `x-computed-from`, UseStateForUnknown-style): a resize plan shows no `(known after apply)`;
 * - observed values (`used_*`, `allocated_*`) on resources are snapshots as of the last refresh;
 *   a data source that depends on the change reads them fresh in the same run (the documented
 *   pattern), and a refresh brings the resource's copy up to date.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { TERRAFORM, tfSession, withProvider, type TfSession } from "./tf-harness";

async function ok(s: TfSession, args: string[]) {
  const r = await s.run([...args, "-no-color"]);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function outputs(s: TfSession): Promise<Record<string, unknown>> {
  const r = await ok(s, ["output", "-json"]);
  return Object.fromEntries(Object.entries(JSON.parse(r.stdout) as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value]));
}

const estate = (o: { vmCores: number; quotaCores: number; serverMemory: number; description: string; poolSize: number }) =>
  withProvider(`
resource "otterscale_server" "s" {
  for_each    = toset(["s1", "s2", "s3"])
  name        = each.key
  cpu_cores   = 16
  memory_gib  = ${o.serverMemory}
  storage_gib = 1000
}

resource "otterscale_baremetal_group" "g" {
  name        = "g"
  description = "${o.description}"
  servers     = [for s in otterscale_server.s : s.name]
}

resource "otterscale_tenant_quota" "q" {
  tenant      = "acme"
  group       = otterscale_baremetal_group.g.name
  cpu_cores   = ${o.quotaCores}
  memory_gib  = 64
  storage_gib = 2000
}

resource "otterscale_virtual_machine" "web" {
  name       = "web"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = ${o.vmCores}
  memory_gib = 4
  disk_gib   = 10
}

resource "otterscale_block_pool" "p" {
  name     = "p"
  tenant   = otterscale_tenant_quota.q.tenant
  group    = otterscale_tenant_quota.q.group
  size_gib = ${o.poolSize}
}

# The data-source pattern: read usage after the workloads changed, in the same run.
data "otterscale_tenant_usage" "acme" {
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  depends_on = [otterscale_virtual_machine.web, otterscale_block_pool.p]
}

output "resource_used_cpu" { value = otterscale_tenant_quota.q.used_cpu_cores }
output "fresh_used_cpu" { value = data.otterscale_tenant_usage.acme.used_cpu_cores }
`);

const BASE = { vmCores: 2, quotaCores: 8, serverMemory: 64, description: "one", poolSize: 10 };

/** A plan block without its `manifests` attribute (the rendered objects, replaced as a whole: `[...] -> (known after apply)`). */
function withoutManifests(block: string): string {
  const lines = block.split("\n");
  const start = lines.findIndex((l) => /^\s*~ manifests\s+=/.test(l));
  if (start < 0) return block;
  const end = lines.findIndex((l, i) => i >= start && l.includes("(known after apply)"));
  return [...lines.slice(0, start), ...lines.slice(end + 1)].join("\n");
}

/** The planned resource changes of a saved plan: address -> { actions, unknown computed attributes }. */
async function changes(s: TfSession): Promise<Map<string, { actions: string[]; unknown: string[] }>> {
  const shown = JSON.parse((await ok(s, ["show", "-json", "tfplan"])).stdout) as {
    resource_changes: { address: string; change: { actions: string[]; after_unknown: Record<string, unknown> } }[];
  };
  const unknownOf = (u: Record<string, unknown>): string[] => Object.entries(u).filter(([, v]) => v === true || (typeof v === "object" && v !== null && unknownOf(v as Record<string, unknown>).length)).map(([k]) => k);
  return new Map(shown.resource_changes.map((r) => [r.address, { actions: r.change.actions, unknown: unknownOf(r.change.after_unknown ?? {}) }]));
}

/** The human plan's block for one resource: from its `# address ...` line to its closing brace. */
function blockOf(stdout: string, address: string): string {
  const start = stdout.indexOf(`# ${address} will be`);
  assert.ok(start >= 0, `no plan block for ${address}:\n${stdout}`);
  const end = stdout.indexOf("\n    }\n", start);
  return stdout.slice(start, end);
}

describe("terraform computed values in plans (real terraform 1.11)", function () {
  this.timeout(300_000);
  let s: TfSession;
  before(async () => {
    assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`);
    s = await tfSession();
    s.write("main.tf", estate(BASE));
    await ok(s, ["apply", "-auto-approve"]);
  });
  after(() => s?.close());

  it("an in-place resize plan shows no (known after apply) for the computed values it cannot affect", async () => {
    s.write("main.tf", estate({ ...BASE, vmCores: 4, quotaCores: 16, serverMemory: 128, description: "two" }));
    const plan = await ok(s, ["plan", "-out=tfplan"]);
    const c = await changes(s);
    for (const address of ["otterscale_virtual_machine.web", "otterscale_tenant_quota.q", 'otterscale_server.s["s1"]', "otterscale_baremetal_group.g"]) {
      assert.deepEqual(c.get(address)?.actions, ["update"], `${address} is updated in place`);
      // `manifests` is the rendered objects: a change of inputs changes them, so it alone may be unknown.
      assert.deepEqual(c.get(address)?.unknown?.filter((a: string) => a !== "manifests"), [], `${address}: no other computed value unknown`);
    }
    // As the user reads it: each update block, and no "(known after apply)" in it but the rendered objects'.
    for (const address of ["otterscale_virtual_machine.web", "otterscale_tenant_quota.q", 'otterscale_server.s["s1"]', "otterscale_baremetal_group.g"]) {
      const block = blockOf(plan.stdout, address);
      assert.match(block, /will be updated in-place/);
      assert.ok(!withoutManifests(block).includes("known after apply"), `${address}:\n${block}`);
    }
    const applied = await ok(s, ["apply", "tfplan"]);
    assert.ok(!/Value changed during apply/.test(applied.stdout + applied.stderr), "no inconsistency warning for observed snapshots");
  });

  it("a change that does affect a computed value still plans it unknown (raw_gib follows size_gib)", async () => {
    s.write("main.tf", estate({ ...BASE, vmCores: 4, quotaCores: 16, serverMemory: 128, description: "two", poolSize: 20 }));
    await ok(s, ["plan", "-out=tfplan"]);
    const pool = (await changes(s)).get("otterscale_block_pool.p");
    assert.deepEqual(pool?.actions, ["update"]);
    assert.deepEqual(pool?.unknown?.filter((a: string) => a !== "manifests"), ["raw_gib"]);
  });

  it("used_* on the resource is the last refresh's snapshot; the depending data source is fresh in the same run", async () => {
    // After the resize apply above: the VM uses 4 cores (+0 for the pool); the quota resource
    // kept its planned snapshot (2), the data source read after the VM changed.
    const o = await outputs(s);
    assert.equal(o.fresh_used_cpu, 4);
    assert.equal(o.resource_used_cpu, 2);
    await ok(s, ["apply", "-refresh-only", "-auto-approve"]);
    assert.equal((await outputs(s)).resource_used_cpu, 4, "a refresh brings the snapshot up to date");
  });
});
