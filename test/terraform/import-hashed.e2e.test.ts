/**
 * No diff after import for hashed inputs, with the REAL terraform binary and provider executable:
 * the ledger keeps only the sha256 of `user_data` / `bmc.password`, so the import stores a
 * `sha256:` stand-in and a configuration that repeats the same secret plans nothing; a different
 * secret plans an update that sends it.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { TERRAFORM, tfSession, withProvider, type TfSession } from "./tf-harness";
import { manifests } from "../support/estate";

async function ok(s: TfSession, args: string[]) {
  const r = await s.run([...args, "-no-color"]);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

const sha = (t: string) => createHash("sha256").update(t, "utf8").digest("hex");

const config = (userData: string) =>
  withProvider(`
resource "otterscale_server" "s" {
  name        = "s1"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
  bmc = {
    address  = "10.0.0.1"
    username = "admin"
    password = "bmc-secret-7781"
  }
}

resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.s.name]
}

resource "otterscale_tenant_quota" "q" {
  tenant      = "acme"
  group       = otterscale_baremetal_group.g.name
  cpu_cores   = 8
  memory_gib  = 32
  storage_gib = 200
}

resource "otterscale_virtual_machine" "web" {
  name       = "web"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
  user_data  = ${JSON.stringify(userData)}
}
`);

const USER_DATA = "#cloud-config\npassword: import-secret-1\n";

describe("terraform import of hashed inputs (real terraform 1.11)", function () {
  this.timeout(300_000);
  let s: TfSession;
  before(async () => {
    assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`);
    s = await tfSession();
    s.write("main.tf", config(USER_DATA));
    await ok(s, ["apply", "-auto-approve"]);
    await ok(s, ["state", "rm", "otterscale_virtual_machine.web", "otterscale_server.s"]);
    await ok(s, ["import", "otterscale_server.s", "s1"]);
    await ok(s, ["import", "otterscale_virtual_machine.web", "acme/web"]);
  });
  after(() => s?.close());

  it("the imported state holds digests, never the secrets", () => {
    const st = JSON.parse(readFileSync(path.join(s.dir, "terraform.tfstate"), "utf8"));
    const attrs = (type: string) => st.resources.find((r: { type: string }) => r.type === type).instances[0].attributes;
    assert.equal(attrs("otterscale_virtual_machine").user_data, `sha256:${sha(USER_DATA)}`);
    assert.equal(attrs("otterscale_server").bmc.password, `sha256:${sha("bmc-secret-7781")}`);
    const text = readFileSync(path.join(s.dir, "terraform.tfstate"), "utf8");
    assert.ok(!text.includes("import-secret-1") && !text.includes("bmc-secret-7781"));
  });

  it("the same configuration plans no change (no + user_data, no bmc.password)", async () => {
    const r = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
    assert.equal(r.code, 0, `expected no changes after import:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /No changes/);
  });

  it("a different secret plans an update that sends it; the stand-in never reaches the backend", async () => {
    const next = "#cloud-config\npassword: import-secret-2\n";
    s.write("main.tf", config(next));
    const plan = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
    assert.equal(plan.code, 2, `expected an update:\n${plan.stdout}\n${plan.stderr}`);
    assert.match(plan.stdout, /~ user_data\s+= \(sensitive value\)/);
    assert.match(plan.stdout, /0 to add, 1 to change, 0 to destroy/);
    await ok(s, ["apply", "-auto-approve"]);
    const vm = parse(readFileSync(path.join(s.home, "manifests", manifests(s.home, "virtual_machine")[0]), "utf8"));
    assert.equal(vm.metadata.annotations["otterscale.io/user-data-sha256"], sha(next));
    const again = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
    assert.equal(again.code, 0, `converged:\n${again.stdout}`);
  });

  it("an update of something else after import sends the configured secret, not its digest", async () => {
    // Fresh import of the server (bmc.password as stand-in), then a capacity change.
    await ok(s, ["state", "rm", "otterscale_server.s"]);
    await ok(s, ["import", "otterscale_server.s", "s1"]);
    s.write("main.tf", config("#cloud-config\npassword: import-secret-2\n").replace("memory_gib  = 64", "memory_gib  = 96"));
    await ok(s, ["apply", "-auto-approve"]);
    const st = JSON.parse(readFileSync(path.join(s.dir, "terraform.tfstate"), "utf8"));
    const server = st.resources.find((r: { type: string }) => r.type === "otterscale_server").instances[0].attributes;
    assert.equal(server.memory_gib, 96);
    assert.equal(server.bmc.password, `sha256:${sha("bmc-secret-7781")}`, "the digest stays the same: the same password was sent");
    await ok(s, ["state", "rm", "otterscale_server.s"]);
    await ok(s, ["import", "otterscale_server.s", "s1"]);
    const st2 = JSON.parse(readFileSync(path.join(s.dir, "terraform.tfstate"), "utf8"));
    const again = st2.resources.find((r: { type: string }) => r.type === "otterscale_server").instances[0].attributes;
    assert.equal(again.bmc.password, `sha256:${sha("bmc-secret-7781")}`, "the ledger's digest is still the real password's");
  });
});
