/**
 * The npm package as a Pulumi or CDKTF user installs it: `npm pack`, then `npm install <tarball>`
 * in a fresh project (its dependencies come from the registry, `--prefer-offline` uses the local
 * cache when it has them; `--ignore-scripts`, as no dependency needs its install script here).
 * Then a Pulumi program under setMocks runs the real engine through the installed package, and a
 * CDKTF app compiles with cdktf's own template tsconfig and synthesizes.
 */
import { strict as assert } from "node:assert";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { testTempDir } from "../support/temp";
import { repoRoot, withoutNpmVars } from "../support/release";

const NODE24 = path.join(repoRoot(), "node_modules", "node", "bin", "node");
const fixtures = path.join(repoRoot(), "test", "fixtures", "consumer");

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Node 24 first on PATH (npm and the bin wrappers run on it), the rest as it is. */
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...withoutNpmVars(process.env), PATH: `${path.dirname(NODE24)}:${process.env.PATH}`, NODE_NO_WARNINGS: "1", ...extra });

describe("npm package: packed, installed into a fresh project, used by a Pulumi program and a CDKTF app", function () {
  this.timeout(600_000);
  let root: string;
  let project: string;
  let files: string[];

  before(function () {
    this.timeout(600_000);
    root = testTempDir("npm-package-");
    const packed = JSON.parse(ok(spawnSync("npm", ["pack", "--json", "--pack-destination", root], { cwd: repoRoot(), env: env(), encoding: "utf8" }), "npm pack")) as { filename: string; files: { path: string }[] }[];
    files = packed[0].files.map((f) => f.path);
    project = path.join(root, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }, null, 2));
    const install = spawnSync("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", path.join(root, packed[0].filename)], { cwd: project, env: env(), encoding: "utf8", timeout: 540_000 });
    ok(install, "npm install <tarball>");
  });

  it("the tarball holds the compiled provider, SDKs, schema, proto and bin, and no tests or build outputs", () => {
    for (const f of ["bin/terraform-provider-otterscale", "bin/otterscale", "dist/provider/src/index.js", "dist/provider/src/index.d.ts", "dist/sdk/pulumi/index.d.ts", "dist/sdk/cdktf/index.d.ts", "dist/sdk/pulumi/runtime.js", "dist/schema/common.json", "dist/proto/tfplugin6.json", "schema/common.json", "package.json"]) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
    const unwanted = files.filter((f) => /^dist\/(test|bench|examples|release|sea)\/|\.map$|tsbuildinfo|^test\//.test(f));
    assert.deepEqual(unwanted, []);
  });

  it("a Pulumi program under setMocks creates an estate through the installed package's engine", () => {
    const home = path.join(root, "pulumi-home");
    fs.mkdirSync(home);
    // A new stack's ledger is made on purpose (the installed `otterscale` CLI), then named in the stack config.
    ok(spawnSync(path.join(project, "node_modules", ".bin", "otterscale"), ["ledger", "init"], { cwd: project, env: env({ OTTERSCALE_LEDGER_URL: `sqlite://${path.join(home, "ledger.db")}` }), encoding: "utf8" }), "otterscale ledger init");
    fs.copyFileSync(path.join(fixtures, "pulumi-program.js"), path.join(project, "index.js"));
    const out = ok(spawnSync(NODE24, ["index.js"], { cwd: project, env: env({ OTTERSCALE_TEST_HOME: home }), encoding: "utf8", timeout: 120_000 }), "pulumi program");
    const r = JSON.parse(out.trim().split("\n").pop()!) as { server: string; created: { type: string; name: string }[]; runtimePaths: string[] };
    assert.deepEqual(r.created.map((c) => c.name).sort(), ["g", "q", "s1", "s2", "vm-1"]);
    assert.ok(["s1", "s2"].includes(r.server), `vm-1 placed on ${r.server}`);
    // The serialized providers require the runtime from the installed package, not from this checkout.
    assert.deepEqual(r.runtimePaths, [path.join(fs.realpathSync(project), "node_modules", "otterscale-iac", "dist", "sdk", "pulumi", "runtime.js")]);
    const manifests = fs.readdirSync(path.join(home, "manifests"), { recursive: true }).map(String);
    assert.ok(manifests.some((f) => f.includes("vm-1")), manifests.join(", "));
  });

  it("a CDKTF app importing otterscale-iac/cdktf compiles with cdktf's template tsconfig, and synthesizes", () => {
    const app = path.join(project, "app");
    fs.mkdirSync(app);
    fs.copyFileSync(path.join(fixtures, "cdktf-template-tsconfig.json"), path.join(app, "tsconfig.json"));
    for (const f of ["main.ts", "estate-stack.ts"]) {
      const src = fs.readFileSync(path.join(repoRoot(), "examples", "cdktf", f), "utf8").replace(/"\.\.\/\.\.\/sdk\/cdktf"/g, '"otterscale-iac/cdktf"');
      fs.writeFileSync(path.join(app, f), src);
    }
    assert.match(fs.readFileSync(path.join(app, "estate-stack.ts"), "utf8"), /from "otterscale-iac\/cdktf"/);
    ok(spawnSync(NODE24, [path.join(repoRoot(), "node_modules", "typescript", "bin", "tsc"), "-p", app], { cwd: app, env: env(), encoding: "utf8" }), "tsc with cdktf's template tsconfig");
    const outdir = path.join(app, "cdktf.out");
    ok(spawnSync(NODE24, ["main.js"], { cwd: app, env: env({ CDKTF_OUTDIR: outdir }), encoding: "utf8" }), "the compiled app");
    const stack = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "estate", "cdk.tf.json"), "utf8")) as { terraform: { required_providers: Record<string, { source: string }> }; resource: Record<string, object> };
    assert.equal(stack.terraform.required_providers.otterscale.source, "otterscale/otterscale");
    assert.equal(Object.keys(stack.resource.otterscale_virtual_machine).length, 4);
  });

  it("a type error in the app fails the build (the types are really checked)", () => {
    const app = path.join(project, "bad");
    fs.mkdirSync(app);
    fs.copyFileSync(path.join(fixtures, "cdktf-template-tsconfig.json"), path.join(app, "tsconfig.json"));
    fs.writeFileSync(path.join(app, "main.ts"), `import { App, TerraformStack } from "cdktf";\nimport { VirtualMachine } from "otterscale-iac/cdktf";\nconst app = new App();\nconst s = new TerraformStack(app, "s");\nnew VirtualMachine(s, "vm", { name: "vm", tenant: "t", group: "g", cpuCores: "4", memoryGib: 1, diskGib: 1 });\napp.synth();\n`);
    const r = spawnSync(NODE24, [path.join(repoRoot(), "node_modules", "typescript", "bin", "tsc"), "-p", app], { cwd: app, env: env(), encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /main\.ts\(5,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });
});
