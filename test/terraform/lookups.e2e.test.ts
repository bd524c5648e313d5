/**
 * Lookup data sources with the REAL terraform binary and provider executable:
 * `otterscale_servers` (labels, racks, zones, maintenance, a group's members with free capacity),
 * `otterscale_virtual_machine` and `otterscale_vcluster` (one object by tenant/name). They read
 * the ledger only: a refresh of them leaves every ledger row as it was.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { TERRAFORM, tfSession, withProvider, type TfSession } from "./tf-harness";
import { sqliteRows } from "../support/ledger-snapshot";

async function ok(s: TfSession, args: string[]) {
  const r = await s.run([...args, "-no-color"]);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function outputs(s: TfSession): Promise<Record<string, unknown>> {
  const r = await ok(s, ["output", "-json"]);
  return Object.fromEntries(Object.entries(JSON.parse(r.stdout) as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value]));
}

const ESTATE = `
locals {
  servers = {
    s1 = { rack = "r1", zone = "z1", pool = "gpu", maintenance = false }
    s2 = { rack = "r1", zone = "z2", pool = "cpu", maintenance = false }
    s3 = { rack = "r2", zone = "z2", pool = "cpu", maintenance = true }
  }
}

resource "otterscale_server" "s" {
  for_each    = local.servers
  name        = each.key
  rack        = each.value.rack
  zone        = each.value.zone
  labels      = { pool = each.value.pool }
  maintenance = each.value.maintenance
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}

resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [for s in otterscale_server.s : s.name]
}

resource "otterscale_tenant_quota" "q" {
  tenant      = "acme"
  group       = otterscale_baremetal_group.g.name
  cpu_cores   = 32
  memory_gib  = 64
  storage_gib = 500
}

resource "otterscale_virtual_machine" "web" {
  name       = "web"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 6
  memory_gib = 4
  disk_gib   = 10
  placement  = { server = "s2" }
}

resource "otterscale_vcluster" "dev" {
  name   = "dev"
  tenant = otterscale_tenant_quota.q.tenant
  group  = otterscale_tenant_quota.q.group
}
`;

const LOOKUPS = `
data "otterscale_servers" "rack_r1" {
  racks      = ["r1"]
  depends_on = [otterscale_virtual_machine.web, otterscale_vcluster.dev] # read after they are placed
}

data "otterscale_servers" "gpu_pool" {
  labels     = { pool = "gpu" }
  depends_on = [otterscale_baremetal_group.g]
}

data "otterscale_servers" "zone_z2_in_service" {
  zones       = ["z2"]
  maintenance = false
  depends_on  = [otterscale_baremetal_group.g]
}

data "otterscale_servers" "roomy" {
  group              = otterscale_baremetal_group.g.name
  maintenance        = false
  min_free_cpu_cores = 12
  depends_on         = [otterscale_virtual_machine.web, otterscale_vcluster.dev]
}

data "otterscale_virtual_machine" "web" {
  tenant     = "acme"
  name       = otterscale_virtual_machine.web.name
  depends_on = [otterscale_virtual_machine.web]
}

data "otterscale_vcluster" "dev" {
  tenant     = "acme"
  name       = otterscale_vcluster.dev.name
  depends_on = [otterscale_vcluster.dev]
}

output "rack_r1" { value = data.otterscale_servers.rack_r1.names }
output "gpu_pool" { value = data.otterscale_servers.gpu_pool.names }
output "zone_z2_in_service" { value = data.otterscale_servers.zone_z2_in_service.names }
output "roomy" { value = data.otterscale_servers.roomy.names }
output "s2_free_cpu" { value = [for s in data.otterscale_servers.rack_r1.servers : s.free_cpu_cores if s.name == "s2"][0] }
output "web" { value = data.otterscale_virtual_machine.web }
output "dev" { value = data.otterscale_vcluster.dev }
`;

describe("terraform lookup data sources (real terraform 1.11)", function () {
  this.timeout(300_000);
  let s: TfSession;
  before(async () => {
    assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`);
    s = await tfSession();
    s.write("main.tf", withProvider(ESTATE + LOOKUPS));
    await ok(s, ["apply", "-auto-approve"]);
  });
  after(() => s?.close());

  it("otterscale_servers filters by rack, labels, zone and maintenance", async () => {
    const o = await outputs(s);
    assert.deepEqual(o.rack_r1, ["s1", "s2"]);
    assert.deepEqual(o.gpu_pool, ["s1"]);
    assert.deepEqual(o.zone_z2_in_service, ["s2"]);
  });

  it("otterscale_servers with group and min_free_*: the members that still have room", async () => {
    const o = await outputs(s);
    // s2 holds the 6-core VM (and maybe the vCluster's 1 core): 9 or 10 free < 12; s3 is in maintenance.
    const devOnS2 = (o.dev as { servers: string[] }).servers.includes("s2");
    assert.equal(o.s2_free_cpu, devOnS2 ? 9 : 10);
    assert.deepEqual(o.roomy, ["s1"]);
  });

  it("otterscale_virtual_machine and otterscale_vcluster look one object up, placement included, secrets never", async () => {
    const o = await outputs(s);
    const web = o.web as Record<string, unknown>;
    assert.equal(web.id, "acme/web");
    assert.equal(web.server, "s2");
    assert.equal(web.rack, "r1");
    assert.equal(web.cpu_cores, 6);
    assert.ok(!("user_data" in web), "no sensitive attribute in the lookup");
    const dev = o.dev as Record<string, unknown>;
    assert.equal((dev.servers as string[]).length, 1);
    assert.match(String(dev.endpoint), /^https:\/\/dev\.vc-dev-[0-9a-f]{8}\.svc\./, "the release namespace vc-<name>-<hash>");
    assert.ok(!("kubeconfig" in dev), "the kubeconfig is the ephemeral resource's, never in state");
  });

  it("a lookup of a missing object fails naming it", async () => {
    s.write("main.tf", withProvider(ESTATE + LOOKUPS + `\ndata "otterscale_virtual_machine" "nope" {\n  tenant = "acme"\n  name   = "nope"\n}\n`));
    const r = await s.run(["plan", "-no-color"]);
    assert.notEqual(r.code, 0);
    assert.match((r.stdout + r.stderr).replace(/\s+/g, " "), /virtual_machine "acme\/nope" does not exist/);
    s.write("main.tf", withProvider(ESTATE + LOOKUPS));
  });

  it("reads never write: refreshing every lookup leaves the ledger's rows unchanged", async () => {
    const file = path.join(s.home, "ledger.db");
    const before = sqliteRows(file);
    await ok(s, ["apply", "-refresh-only", "-auto-approve"]);
    assert.deepEqual(sqliteRows(file), before);
  });
});
