/**
 * The release as a Terraform user installs it: `npm run release`'s zip, copied to a fresh
 * directory in the packed filesystem-mirror layout, `terraform init` from that mirror, then apply
 * and destroy, with no Node anywhere: the environment is emptied (like `env -i`) and PATH is one
 * sandbox directory holding only a link to terraform (this machine has Node in /usr/bin, so
 * `PATH=/usr/bin:/bin` would not do). Each backend the provider supports runs once through the
 * self-contained executable: SQLite + gitops (the embedded default), PostgreSQL + kubernetes
 * (the fake API server), maas (the fake MAAS).
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { testRelease, type Release } from "../support/release";
import { testTempDir } from "../support/temp";
import { sharedPostgres } from "../support/postgres";
import { startFakeKube } from "../support/fake-kube-apiserver";
import { startFakeMaas } from "../support/fake-maas";
import { repoRoot, TERRAFORM } from "./tf-harness";

interface Run {
  code: number;
  out: string;
}

const estate = `terraform {
  required_providers {
    otterscale = { source = "otterscale/otterscale" }
  }
}
provider "otterscale" {}
resource "otterscale_server" "s" {
  for_each    = toset(["s1", "s2"])
  name        = each.key
  rack        = "r-\${each.key}"
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
  cpu_cores   = 8
  memory_gib  = 32
  storage_gib = 200
}
resource "otterscale_virtual_machine" "vm" {
  name       = "vm-1"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 20
}
output "vm_server" { value = otterscale_virtual_machine.vm.server }
`;

describe("release: terraform init from a filesystem mirror of the release zip, no Node on the machine", function () {
  this.timeout(600_000);
  let release: Release;
  let root: string;
  let mirror: string;
  let sandboxPath: string;

  before(function () {
    this.timeout(600_000);
    release = testRelease();
    root = testTempDir("release-e2e-");
    // The zip alone, copied elsewhere, as a user downloads it.
    mirror = path.join(root, "mirror");
    const pkgDir = path.join(mirror, "registry.terraform.io", "otterscale", "otterscale");
    fs.mkdirSync(pkgDir, { recursive: true });
    for (const zip of Object.values(release.zips)) fs.copyFileSync(zip, path.join(pkgDir, path.basename(zip)));
    fs.mkdirSync(path.join(root, "plugin-cache"));
    sandboxPath = path.join(root, "bin");
    fs.mkdirSync(sandboxPath);
    fs.symlinkSync(TERRAFORM, path.join(sandboxPath, "terraform"));
    fs.writeFileSync(path.join(root, "cli.tfrc"), `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`);
  });

  /** A working directory and `terraform ARGS` in an environment holding only `extra` and the basics. */
  function workspace(name: string, extra: Record<string, string> = {}) {
    const dir = path.join(root, name);
    const home = path.join(dir, "home");
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(dir, "main.tf"), estate);
    // One plugin cache: each workspace links the ~130 MB executable instead of unpacking a copy.
    const env = { PATH: sandboxPath, HOME: dir, TF_CLI_CONFIG_FILE: path.join(root, "cli.tfrc"), TF_PLUGIN_CACHE_DIR: path.join(root, "plugin-cache"), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", OTTERSCALE_HOME: home, ...extra };
    const tf = (args: string[]): Promise<Run> =>
      new Promise((resolve, reject) => {
        const child = spawn("terraform", [...args, "-no-color"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (out += b.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, out }));
      });
    const ok = async (args: string[]): Promise<string> => {
      const r = await tf(args);
      assert.equal(r.code, 0, `terraform ${args.join(" ")} exited ${r.code}:\n${r.out}`);
      return r.out;
    };
    return { dir, home, env, tf, ok };
  }

  it("the sandbox PATH holds no node, and the release lists its zip, SHA256SUMS and manifest", () => {
    for (const dir of sandboxPath.split(":")) assert.ok(!fs.existsSync(path.join(dir, "node")), `node found in ${dir}`);
    assert.deepEqual(JSON.parse(fs.readFileSync(release.manifest, "utf8")), { version: 1, metadata: { protocol_versions: ["6.0"] } });
    const sums = fs.readFileSync(release.sums, "utf8");
    for (const f of [...Object.values(release.zips), release.manifest]) assert.match(sums, new RegExp(`^[0-9a-f]{64}  ${path.basename(f).replace(/\./g, "\\.")}$`, "m"));
    assert.equal(path.basename(release.sums), `terraform-provider-otterscale_${release.version}_SHA256SUMS`);
    // `npm run tf:mirror` (scripts/tf-mirror.js) and the release's own mirror hold these very zips.
    const { releaseMirror } = require(path.join(repoRoot(), "scripts", "tf-mirror.js")) as { releaseMirror(dir: string, releaseDir: string): string };
    const copied = releaseMirror(path.join(root, "tf-mirror"), release.dir);
    for (const zip of Object.values(release.zips)) {
      for (const dir of [copied, path.join(release.mirror, "registry.terraform.io", "otterscale", "otterscale")]) {
        assert.ok(fs.readFileSync(path.join(dir, path.basename(zip))).equals(fs.readFileSync(zip)), `${dir} holds another ${path.basename(zip)}`);
      }
    }
  });

  it("SQLite ledger + gitops (the embedded default): init, apply, destroy", async () => {
    const w = workspace("sqlite");
    const init = await w.ok(["init"]);
    assert.match(init, /Installing otterscale\/otterscale v0\.1\.0/);
    assert.match(init, /Installed otterscale\/otterscale v0\.1\.0 \(unauthenticated\)/);
    assert.match(await w.ok(["apply", "-auto-approve"]), /Apply complete! Resources: 5 added, 0 changed, 0 destroyed\./);
    assert.ok(fs.existsSync(path.join(w.home, "ledger.db")));
    const manifests = fs.readdirSync(path.join(w.home, "manifests"), { recursive: true }).map(String);
    assert.ok(manifests.some((f) => f.includes("vm-1")), `no manifest for vm-1 in ${manifests.join(", ")}`);
    assert.match(await w.ok(["plan", "-detailed-exitcode"]), /No changes\./);
    assert.match(await w.ok(["destroy", "-auto-approve"]), /Destroy complete! Resources: 5 destroyed\./);
  });

  it("PostgreSQL ledger + kubernetes controller: apply, destroy", async () => {
    const pg = await sharedPostgres();
    const kube = await startFakeKube();
    try {
      const ledgerUrl = await pg.createDatabase("release");
      const w = workspace("pg-kube");
      const kubeconfig = await kube.writeKubeconfig(w.dir);
      Object.assign(w.env, { OTTERSCALE_LEDGER_URL: ledgerUrl, OTTERSCALE_CONTROLLER_URL: `kubernetes://?kubeconfig=${kubeconfig}` });
      await w.ok(["init"]);
      assert.match(await w.ok(["apply", "-auto-approve"]), /Apply complete! Resources: 5 added/);
      assert.deepEqual(kube.objects("kubevirt.io/v1", "VirtualMachine").map((o) => o.metadata.name), ["vm-1"]);
      assert.match(await w.ok(["destroy", "-auto-approve"]), /Destroy complete! Resources: 5 destroyed\./);
      assert.deepEqual(kube.objects("kubevirt.io/v1", "VirtualMachine"), []);
    } finally {
      await kube.stop();
    }
  });

  it("maas controller: a server is enlisted and commissioned, then deleted", async () => {
    const maas = await startFakeMaas();
    try {
      const w = workspace("maas", { OTTERSCALE_CONTROLLER_URL: maas.url, OTTERSCALE_MAAS_API_KEY: maas.apiKey });
      fs.writeFileSync(
        path.join(w.dir, "main.tf"),
        `terraform {\n  required_providers {\n    otterscale = { source = "otterscale/otterscale" }\n  }\n}\n` +
          `resource "otterscale_server" "s1" {\n  name = "s1"\n  cpu_cores = 16\n  memory_gib = 64\n  storage_gib = 1000\n  labels = { "otterscale.io/mac" = "52-54-00-00-00-01" }\n  bmc = { address = "10.0.0.11", username = "admin", password = "bmc-secret" }\n}\n`,
      );
      await w.ok(["init"]);
      assert.match(await w.ok(["apply", "-auto-approve"]), /Apply complete! Resources: 1 added/);
      assert.equal(maas.byHostname("s1")?.status_name, "Ready");
      await w.ok(["destroy", "-auto-approve"]);
      assert.equal(maas.byHostname("s1"), undefined);
    } finally {
      await maas.stop();
    }
  });
});
