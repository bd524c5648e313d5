/**
 * The real cdktf CLI (cdktf-cli@0.21, installed from the npm registry into this run's temp
 * directory) on the CDKTF example, with the provider from the release's filesystem mirror (a CLI
 * config with `provider_installation { filesystem_mirror }`, TF_CLI_CONFIG_FILE): synth, deploy,
 * diff (no changes), destroy. cdktf-cli runs on the system Node (20 or 22: node-pty has no
 * prebuild for Node 24); the provider is the self-contained executable, so which Node is on PATH
 * does not matter to it. The example app runs with `protectDbPool: false` so destroy removes all.
 *
 * Skipped, with the reason, only when the registry cannot be reached outside CI (CI=true fails).
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { testRelease } from "../support/release";
import { testTempDir } from "../support/temp";
import { repoRoot, withoutNpmVars } from "../support/release";
import { TERRAFORM } from "../terraform/tf-harness";

const CDKTF_CLI = "cdktf-cli@0.21";
const distRoot = path.resolve(__dirname, "..", "..");
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/** A Node on PATH that cdktf-cli supports (major 20 or 22), outside this repository. */
function systemNode(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir || path.resolve(dir).startsWith(path.join(repoRoot(), "node_modules")) || dir.includes(`${path.sep}node_modules${path.sep}`)) continue;
    const node = path.join(dir, "node");
    if (!fs.existsSync(node)) continue;
    const v = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" });
    if (v.status === 0 && /^(20|22)\./.test(v.stdout)) return node;
  }
  return undefined;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out: stripAnsi(out) });
    });
  });
}

describe("cdktf-cli 0.21 end to end: synth, deploy, diff, destroy with the provider from the release mirror", function () {
  this.timeout(900_000);
  let cdktf: string;
  let app: string;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(900_000);
    const node = systemNode();
    if (!node) {
      if (process.env.CI === "true") throw new Error("no Node 20 or 22 on PATH for cdktf-cli (it cannot run on Node 24)");
      this.skip();
    }
    const root = testTempDir("cdktf-cli-");
    const cli = path.join(root, "cli");
    fs.mkdirSync(cli);
    fs.writeFileSync(path.join(cli, "package.json"), JSON.stringify({ name: "cdktf-cli-for-tests", private: true }));
    // The system Node first (npm and cdktf run on it), terraform reachable, nothing from node_modules/.bin.
    const basePath = [path.dirname(node!), path.dirname(TERRAFORM), ...(process.env.PATH ?? "").split(path.delimiter).filter((d) => !d.includes("node_modules"))].join(path.delimiter);
    const npmEnv = { ...withoutNpmVars(process.env), PATH: basePath };
    const npm = fs.existsSync(path.join(path.dirname(node!), "npm")) ? path.join(path.dirname(node!), "npm") : "npm";
    const install = await run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", CDKTF_CLI], { cwd: cli, env: npmEnv, timeoutMs: 600_000 });
    if (install.code !== 0) {
      const ping = await run(npm, ["ping"], { cwd: cli, env: npmEnv, timeoutMs: 60_000 });
      if (ping.code !== 0 && process.env.CI !== "true") {
        process.stderr.write(`skipping: the npm registry is unreachable (npm ping: ${ping.out.trim().split("\n").pop()})\n`);
        this.skip();
      }
      throw new Error(`npm install ${CDKTF_CLI} failed:\n${install.out}`);
    }
    cdktf = path.join(cli, "node_modules", ".bin", "cdktf");

    const release = testRelease();
    app = path.join(root, "app");
    home = path.join(root, "home");
    fs.mkdirSync(app);
    // examples/cdktf's cdktf.json, its app the example stack with the db pool unprotected.
    const config = JSON.parse(fs.readFileSync(path.join(repoRoot(), "examples", "cdktf", "cdktf.json"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(app, "cdktf.json"), JSON.stringify({ ...config, app: "node app.js" }, null, 2));
    const example = path.join(distRoot, "examples", "cdktf");
    fs.writeFileSync(
      path.join(app, "app.js"),
      `const { App } = require(${JSON.stringify(require.resolve("cdktf", { paths: [example] }))});\n` +
        `const { EstateStack } = require(${JSON.stringify(path.join(example, "estate-stack.js"))});\n` +
        `const app = new App();\nnew EstateStack(app, "estate", { protectDbPool: false });\napp.synth();\n`,
    );
    const tfrc = path.join(root, "cli.tfrc");
    fs.writeFileSync(tfrc, `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(release.mirror)}\n    include = ["otterscale/otterscale"]\n  }\n  direct {\n    exclude = ["otterscale/otterscale"]\n  }\n}\n`);
    env = { ...npmEnv, TF_CLI_CONFIG_FILE: tfrc, OTTERSCALE_HOME: home, CHECKPOINT_DISABLE: "1", CI: "true", FORCE_COLOR: "0" };
    for (const k of ["OTTERSCALE_LEDGER_URL", "OTTERSCALE_CONTROLLER_URL", "OTTERSCALE_PROVIDER_JS", "TF_LOG"]) delete env[k];
  });

  const cdk = async (args: string[]): Promise<string> => {
    const r = await run(cdktf, args, { cwd: app, env });
    assert.equal(r.code, 0, `cdktf ${args.join(" ")} exited ${r.code}:\n${r.out}`);
    return r.out;
  };

  it("cdktf synth writes the stack", async () => {
    assert.match(await cdk(["synth"]), /Generated Terraform code for the stacks: estate/);
    const stack = JSON.parse(fs.readFileSync(path.join(app, "cdktf.out", "stacks", "estate", "cdk.tf.json"), "utf8")) as { terraform: { required_providers: Record<string, { source: string }> } };
    assert.equal(stack.terraform.required_providers.otterscale.source, "otterscale/otterscale");
  });

  it("cdktf deploy --auto-approve --skip-provider-lock installs the provider from the mirror and applies the estate", async () => {
    const out = await cdk(["deploy", "--auto-approve", "--skip-provider-lock"]);
    assert.match(out, /Installed otterscale\/otterscale v0\.1\.0/);
    assert.match(out, /Apply complete! Resources: 16 added, 0 changed, 0 destroyed\./);
    assert.ok(fs.existsSync(path.join(home, "ledger.db")));
  });

  it("cdktf diff shows no changes", async () => {
    assert.match((await cdk(["diff"])).replace(/\s+/g, " "), /No changes\. Your infrastructure matches the configuration\./);
  });

  it("cdktf destroy --auto-approve removes everything", async () => {
    assert.match(await cdk(["destroy", "--auto-approve"]), /Destroy complete! Resources: 16 destroyed\./);
    const manifests = fs.readdirSync(path.join(home, "manifests"), { recursive: true }).filter((f) => String(f).endsWith(".yaml"));
    assert.deepEqual(manifests, []);
  });
});
