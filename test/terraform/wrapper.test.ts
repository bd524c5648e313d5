/**
 * bin/terraform-provider-otterscale as an installed npm package has it (no node_modules/node in
 * the package): it runs the self-contained executable when there, else a Node >= 22 it finds,
 * else it says what to install, in a way the real terraform shows (on stdout before the
 * handshake, as go-plugin reports "Unrecognized remote plugin message: <line>").
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../../provider/src/terraform/handshake";
import { testRelease } from "../support/release";
import { testTempDir } from "../support/temp";
import { repoRoot, TERRAFORM } from "./tf-harness";

const NODE24 = path.join(repoRoot(), "node_modules", "node", "bin", "node");

/** A package directory as npm installs it: bin/ and dist/provider (a link to the compiled tree), no node_modules. */
function installedPackage(root: string): string {
  const pkg = path.join(root, "project", "node_modules", "otterscale-iac");
  fs.mkdirSync(path.join(pkg, "bin"), { recursive: true });
  fs.mkdirSync(path.join(pkg, "dist"), { recursive: true });
  fs.copyFileSync(path.join(repoRoot(), "bin", "terraform-provider-otterscale"), path.join(pkg, "bin", "terraform-provider-otterscale"));
  fs.chmodSync(path.join(pkg, "bin", "terraform-provider-otterscale"), 0o755);
  fs.symlinkSync(path.resolve(__dirname, "..", "..", "provider"), path.join(pkg, "dist", "provider"));
  return pkg;
}

/** A PATH directory holding only `tools` (name -> target). */
function sandbox(root: string, name: string, tools: Record<string, string>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  for (const [tool, target] of Object.entries(tools)) fs.symlinkSync(target, path.join(dir, tool));
  return dir;
}

/** Starts `exe` as Terraform does and returns its first stdout line (the handshake or a message) and exit. */
function start(exe: string, env: NodeJS.ProcessEnv): Promise<{ line: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, [], { env: { ...env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: "6" }, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.on("error", reject);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("\n") && child.exitCode === null) child.kill("SIGTERM");
    });
    child.on("close", (code) => resolve({ line: out.split("\n")[0], code }));
  });
}

describe("bin/terraform-provider-otterscale in an installed package", function () {
  this.timeout(600_000);
  let root: string;
  let pkg: string;
  let wrapper: string;
  before(() => {
    root = testTempDir("wrapper-");
    pkg = installedPackage(root);
    wrapper = path.join(pkg, "bin", "terraform-provider-otterscale");
  });

  it("with only Node 20 on PATH, Terraform shows what to install", async () => {
    const node20 = spawnSync("/usr/bin/env", ["node", "-p", "process.versions.node"], { encoding: "utf8", env: { PATH: "/usr/local/bin:/usr/bin:/bin" } });
    // A stand-in for an old Node when the machine has none under /usr/bin.
    const old = path.join(root, "node20");
    fs.writeFileSync(old, `#!/bin/sh\necho 20\n`, { mode: 0o755 });
    const tools = { terraform: TERRAFORM, bash: "/bin/bash", readlink: "/bin/readlink", dirname: "/usr/bin/dirname", node: node20.status === 0 && node20.stdout.startsWith("20.") ? "/usr/bin/node" : old };
    const bin = sandbox(root, "old-node", tools);
    const mirror = path.join(root, "mirror", "registry.terraform.io", "otterscale", "otterscale", "0.1.0", "linux_amd64");
    fs.mkdirSync(mirror, { recursive: true });
    fs.writeFileSync(path.join(mirror, "terraform-provider-otterscale_v0.1.0"), `#!/bin/bash\nexec ${JSON.stringify(wrapper)} "$@"\n`, { mode: 0o755 });
    const dir = path.join(root, "tf");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "main.tf"), `terraform {\n  required_providers {\n    otterscale = { source = "otterscale/otterscale" }\n  }\n}\nprovider "otterscale" {}\n`);
    fs.writeFileSync(path.join(root, "empty.tfrc"), "");
    const env = { PATH: bin, HOME: root, TF_CLI_CONFIG_FILE: path.join(root, "empty.tfrc"), CHECKPOINT_DISABLE: "1" };
    const init = spawnSync("terraform", ["init", `-plugin-dir=${path.join(root, "mirror")}`, "-no-color"], { cwd: dir, env, encoding: "utf8" });
    assert.equal(init.status, 0, init.stdout + init.stderr);
    const plan = spawnSync("terraform", ["plan", "-no-color"], { cwd: dir, env, encoding: "utf8" });
    assert.notEqual(plan.status, 0);
    const shown = (plan.stdout + plan.stderr).replace(/\s+/g, " ");
    assert.match(shown, /otterscale provider needs Node\.js >= 22 or the self-contained release \(found: \S+node\S* \(v20\)\); install Node\.js >= 22/, shown);
    assert.doesNotMatch(shown, /Failed to read any lines from plugin's stdout/);
  });

  it("with a Node >= 22 on PATH it serves (handshake line)", async () => {
    const bin = sandbox(root, "node24", { node: NODE24, bash: "/bin/bash", readlink: "/bin/readlink", dirname: "/usr/bin/dirname" });
    const r = await start(wrapper, { PATH: bin, HOME: root });
    assert.match(r.line, /^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc/);
  });

  it("with the self-contained executable it needs no Node at all", async () => {
    const exeDir = path.join(pkg, "dist", "sea");
    fs.mkdirSync(exeDir, { recursive: true });
    fs.symlinkSync(testRelease().exe, path.join(exeDir, "terraform-provider-otterscale"));
    try {
      const bin = sandbox(root, "no-node", { bash: "/bin/bash", readlink: "/bin/readlink", dirname: "/usr/bin/dirname" });
      const r = await start(wrapper, { PATH: bin, HOME: root });
      assert.match(r.line, /^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc/);
    } finally {
      fs.rmSync(exeDir, { recursive: true, force: true });
    }
  });
});
