/**
 * examples/terraform-handoff/export with the REAL terraform binary and provider: applied with
 * `handoff://`, it writes nothing, a second plan shows no change (the `manifests` are stable),
 * and the documented one-liner (`terraform output -json manifests | otterscale export --dir`)
 * yields a directory byte-equal to the one the gitops controller writes for the same estate.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cliMain } from "../cli/cli-harness";
import { repoRoot, TERRAFORM, tfSession, type TfSession } from "./tf-harness";

const EXAMPLE = () => path.join(repoRoot(), "examples", "terraform-handoff", "export", "main.tf");

async function ok(s: TfSession, args: string[], timeoutMs = 240_000) {
  const r = await s.run([...args, "-no-color"], timeoutMs);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Applies the example in a fixed order. Placement depends on what is already placed, and
 * Terraform creates independent resources in any order, so two fresh applies agree on the
 * servers only when the workloads are placed one after the other.
 */
async function applyInOrder(s: TfSession, vars: string[] = []) {
  for (const target of ['otterscale_virtual_machine.web["web-1"]', 'otterscale_virtual_machine.web["web-2"]', "otterscale_vcluster.dev"]) {
    await ok(s, ["apply", "-auto-approve", `-target=${target}`, ...vars]);
  }
  await ok(s, ["apply", "-auto-approve", ...vars]);
}

/** Every file under `root` (relative path -> bytes), the ledger marker aside. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== ".otterscale-ledger") out.set(path.relative(root, p), fs.readFileSync(p));
    }
  };
  walk(root);
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** The README's one-liner, run by a shell in the workspace. */
function oneLiner(s: TfSession, dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const otterscale = path.join(repoRoot(), "bin", "otterscale");
  const line = `${TERRAFORM} output -json manifests | ${otterscale} export --dir ${dir} --prune`;
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", line], { cwd: s.dir, env: { ...s.env, OTTERSCALE_CLI_JS: cliMain() }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("terraform e2e: hand-off export (examples/terraform-handoff/export, real terraform)", function () {
  this.timeout(600_000);
  let handoff: TfSession | undefined;
  let gitops: TfSession | undefined;
  after(async () => {
    await handoff?.close();
    await gitops?.close();
  });

  it("applies with handoff://, writes nothing, plans no change, and exports exactly what gitops writes", async () => {
    handoff = await tfSession();
    handoff.write("main.tf", fs.readFileSync(EXAMPLE(), "utf8"));
    await applyInOrder(handoff);
    assert.ok(!fs.existsSync(path.join(handoff.home, "manifests")), "handoff:// wrote no manifests directory");
    const plan = await handoff.run(["plan", "-detailed-exitcode", "-no-color"]);
    assert.equal(plan.code, 0, `a second plan shows no change (manifests are stable):\n${plan.stdout}\n${plan.stderr}`);
    const state = JSON.parse((await ok(handoff, ["show", "-json"])).stdout);
    const vm = state.values.root_module.resources.find((r: { address: string }) => r.address === 'otterscale_virtual_machine.web["web-1"]');
    assert.match(vm.values.status, /^handed off: /);

    gitops = await tfSession();
    gitops.write("main.tf", fs.readFileSync(EXAMPLE(), "utf8"));
    const gitopsDir = path.join(gitops.home, "gitops");
    await applyInOrder(gitops, [`-var=controller_url=gitops://${gitopsDir}`]);

    const repo = path.join(handoff.home, "fleet-repo");
    const exported = await oneLiner(handoff, repo);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /wrote 9 manifest files/);
    const want = tree(gitopsDir);
    const got = tree(repo);
    assert.deepEqual([...got.keys()], [...want.keys()]);
    assert.equal(want.size, 9); // 3 servers, a group, a quota, 2 VMs, a vCluster, a pool
    for (const [file, bytes] of want) assert.ok(bytes.equals(got.get(file)!), `${file} is byte-equal to the gitops controller's`);
    const text = [...got.values()].join("\n");
    assert.ok(!text.includes("hostname: web-1") && !text.includes("not-in-any-manifest"), "secrets are references, never values");

    // A VM removed from the configuration: its file goes with --prune on the next export.
    handoff.write("main.tf", fs.readFileSync(EXAMPLE(), "utf8").replace('toset(["web-1", "web-2"])', 'toset(["web-1"])'));
    await ok(handoff, ["apply", "-auto-approve"]);
    const again = await oneLiner(handoff, repo);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(!fs.existsSync(path.join(repo, "acme", "virtual_machine", "web-2.yaml")));
    assert.ok(fs.existsSync(path.join(repo, "acme", "virtual_machine", "web-1.yaml")));
  });
});
