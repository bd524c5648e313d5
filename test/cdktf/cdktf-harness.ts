/**
 * Helpers for the CDKTF tests: run the compiled example app, the generator script and the real
 * terraform binary as child processes, each in a throwaway directory.
 *
 * Paths: `distRoot()` is the compiled tree holding this file (`dist/` or a private outDir), so the
 * example and provider that run are the ones built with these tests; `repoRoot()` holds the
 * sources (sdk/cdktf/generated, scripts/, test/fixtures/).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot, TERRAFORM } from "../terraform/tf-harness";
import { testTempDir } from "../support/temp";

export { repoRoot, TERRAFORM };

/** The compiled tree (holds examples/, provider/, test/). */
export const distRoot = (): string => path.resolve(__dirname, "..", "..");

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time in milliseconds. */
  readonly ms: number;
}

/** Spawns `cmd args` and collects its output; never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Fails with the child's output when it did not exit 0. */
export function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A temp directory removed by `close()` (and after the run in any case, see test/support/temp.ts). */
export function tempDir(name: string): { dir: string; close(): void } {
  const dir = testTempDir(name);
  return { dir, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Node without the cdktf deprecation noise (util.isArray on Node 24). */
const nodeEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, NODE_NO_WARNINGS: "1", ...extra });

/**
 * Runs the compiled example app (`examples/cdktf/main.js`) the way a user does, with `cwd` as the
 * working directory (cdktf's default local backend puts the state file there) and the output in
 * `outdir`. Returns the stack's Terraform JSON.
 */
export async function synthExample(cwd: string, outdir: string): Promise<{ json: TfJson; ms: number }> {
  const r = ok(await run(process.execPath, [path.join(distRoot(), "examples", "cdktf", "main.js")], { cwd, env: nodeEnv({ CDKTF_OUTDIR: outdir }) }), "example app");
  return { json: readStack(outdir), ms: r.ms };
}

/** The example app with HCL output (what `cdktf synth --hcl` sets): returns `stacks/estate/cdk.tf`. */
export async function synthExampleHcl(cwd: string, outdir: string): Promise<string> {
  const env = nodeEnv({ CDKTF_OUTDIR: outdir, SYNTH_HCL_OUTPUT: "true" });
  ok(await run(process.execPath, [path.join(distRoot(), "examples", "cdktf", "main.js")], { cwd, env }), "example app (HCL)");
  return readFileSync(path.join(stackDir(outdir), "cdk.tf"), "utf8");
}

/** Like `synthExample`, with `EstateStack` props (a variant of the example). */
export async function synthVariant(cwd: string, outdir: string, props: Record<string, unknown>): Promise<TfJson> {
  const example = path.join(distRoot(), "examples", "cdktf");
  // The cdktf the example itself loads (one App class), resolved from the example's directory.
  const cdktf = require.resolve("cdktf", { paths: [example] });
  const script = `const { App } = require(${JSON.stringify(cdktf)}); const { EstateStack } = require(${JSON.stringify(path.join(example, "estate-stack.js"))});
const app = new App(); new EstateStack(app, "estate", ${JSON.stringify(props)}); app.synth();`;
  ok(await run(process.execPath, ["-e", script], { cwd, env: nodeEnv({ CDKTF_OUTDIR: outdir }) }), "variant synth");
  return readStack(outdir);
}

export const stackDir = (outdir: string, stack = "estate"): string => path.join(outdir, "stacks", stack);

export interface TfJson {
  readonly terraform: { required_providers: Record<string, { source: string; version?: string }>; backend?: unknown };
  readonly provider: Record<string, unknown[]>;
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown }>;
}

const readStack = (outdir: string): TfJson => JSON.parse(readFileSync(path.join(stackDir(outdir), "cdk.tf.json"), "utf8")) as TfJson;

/** `node scripts/gen-cdktf.js ARGS --dist <distRoot>` in a child process (the generator touches process.env). */
export const genCdktf = (args: readonly string[]): Promise<RunResult> =>
  run(process.execPath, [path.join(repoRoot(), "scripts", "gen-cdktf.js"), ...args, "--dist", distRoot()], { cwd: repoRoot(), env: nodeEnv({}) });

export interface TerraformEnv {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  /** `terraform ARGS -no-color` in `dir`. */
  tf(dir: string, args: readonly string[], timeoutMs?: number): Promise<RunResult>;
}

/**
 * The real terraform with no dev_overrides (an empty CLI config, so `terraform init` must install
 * the provider, from `-plugin-dir`), its own OTTERSCALE_HOME under `root`, and the provider built
 * next to these tests.
 */
export function terraformEnv(root: string): TerraformEnv {
  const home = path.join(root, "home");
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(root, "empty.tfrc"), "");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: path.join(root, "empty.tfrc"),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    TF_INPUT: "0",
    OTTERSCALE_HOME: home,
    OTTERSCALE_PROVIDER_JS: path.join(distRoot(), "provider", "src", "terraform", "main.js"),
  };
  delete env.TF_LOG;
  delete env.OTTERSCALE_LEDGER_URL;
  delete env.OTTERSCALE_CONTROLLER_URL;
  return { home, env, tf: (dir, args, timeoutMs) => run(TERRAFORM, [...args, "-no-color"], { cwd: dir, env, timeoutMs }) };
}

/** Resources of one type by their `name` attribute (logical ids are CDKTF's business). */
export function byName(json: TfJson, type: string): Map<string, Record<string, unknown> & { logicalId: string }> {
  return new Map(Object.entries(json.resource[type] ?? {}).map(([logicalId, r]) => [String(r.name), { ...r, logicalId }]));
}
