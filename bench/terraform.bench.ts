/**
 * Terraform provider benchmarks (prints figures; no assertions).
 *
 * 1. Start-to-handshake (full mode, or --startup): spawn the provider as Terraform does (magic
 *    cookie, PLUGIN_CLIENT_CERT) and time until the handshake line; also until the first RPC
 *    (GetProviderSchema over mutual TLS) answers, and until a ValidateResourceConfig of each
 *    kind the estate uses has (what Terraform's validate process asks; ajv's validators). >= 20 runs, median and p90, for
 *    bin/terraform-provider-otterscale (the wrapper: bash + Node 24 + dist/, target 300 ms) and the
 *    self-contained executable (scripts/sea.js, built from the current dist/ into a temp
 *    directory, or --sea PATH; target 150 ms).
 * 2. Estate scale: `terraform apply`, a no-change `terraform plan` and `terraform destroy` of N
 *    otterscale_virtual_machine (plus the servers, group and quota they need; real binary, real
 *    engine, ledger and manifests under a temp OTTERSCALE_HOME) against N terraform_data whose
 *    input carries the same six arguments. Rounds interleave the two (and alternate which goes
 *    first), so a busy shared machine slows both alike; medians and ratios per N in one table.
 *
 *   node dist/bench/terraform.bench.js --quick                 # N = 100, 2 rounds, no startup part
 *   node dist/bench/terraform.bench.js                         # startup + N = 500 (3 rounds) and 2,000 (1 round)
 *   node dist/bench/terraform.bench.js --sizes 500 --rounds 3  # just that
 *   node dist/bench/terraform.bench.js --quick --same-state    # also terraform_data with a state as large as the VMs' (and with their dependencies and sensitive paths)
 *   node dist/bench/terraform.bench.js --sizes 500 --release    # also the VMs on the release executable
 *   options: [--runs 20] [--sea PATH] [--startup] [--no-startup] [--same-state] [--release]
 */
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../provider/src/terraform/handshake";
import { selfSignedCert } from "../provider/src/terraform/cert";
import { resourceSpec } from "../provider/src/terraform/schema";
import { dynamicValue } from "../provider/src/terraform/to-proto";
import type { TfObject } from "../provider/src/terraform/codec/types";
import { pluginClient } from "../test/terraform/grpc-client";
import { cliConfig, providerMain, repoRoot, tfSession } from "../test/terraform/tf-harness";

const TARGET_MS = { wrapper: 300, sea: 150 } as const;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

interface StartSample {
  handshakeMs: number;
  firstRpcMs: number;
  /** Until a ValidateResourceConfig of each kind the estate uses has answered (Terraform's validate process). */
  validatedMs: number;
}

/** One valid configuration per resource kind of the estate (vmConfig's values). */
const VALIDATE: readonly [string, Record<string, unknown>][] = [
  ["otterscale_server", { name: "node-0", rack: "r0", cpu_cores: 128, memory_gib: 512, storage_gib: 10000 }],
  ["otterscale_baremetal_group", { name: "general", servers: ["node-0"] }],
  ["otterscale_tenant_quota", { tenant: "team-a", group: "general", cpu_cores: 2, memory_gib: 4, storage_gib: 20 }],
  ["otterscale_virtual_machine", { name: "vm-0", tenant: "team-a", group: "general", cpu_cores: 1, memory_gib: 2, disk_gib: 10 }],
];

/** `config` as Terraform sends it: every attribute and block of the type present (null when unset). */
function configValue(typeName: string, config: Record<string, unknown>): { msgpack: Buffer } {
  const spec = resourceSpec(typeName)!;
  const full: Record<string, unknown> = Object.fromEntries([...spec.attributes, ...spec.blocks].map((a) => [a.name, null]));
  return dynamicValue({ ...full, ...config } as TfObject, spec.type);
}

async function startOnce(bin: string, client: { certPem: string; keyPem: string }): Promise<StartSample> {
  const t0 = performance.now();
  const child = spawn(bin, [], {
    env: {
      ...process.env,
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: "5,6",
      PLUGIN_CLIENT_CERT: client.certPem,
      OTTERSCALE_PROVIDER_JS: providerMain(),
      NODE_PATH: path.join(repoRoot(), "node_modules"),
    },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.on("exit", (c) => reject(new Error(`exited ${c}`)));
  });
  const handshakeMs = performance.now() - t0;
  const [, , , addr, , cert] = line.split("|");
  const der = Buffer.from(cert + "=".repeat((4 - (cert.length % 4)) % 4), "base64");
  const c = pluginClient(Number(addr.split(":")[1]), { serverCertPem: new X509Certificate(der).toString(), clientCertPem: client.certPem, clientKeyPem: client.keyPem });
  await c.provider("GetProviderSchema");
  const firstRpcMs = performance.now() - t0;
  for (const [type_name, config] of VALIDATE) {
    const r = (await c.provider("ValidateResourceConfig", { type_name, config: configValue(type_name, config) })) as { diagnostics?: unknown[] };
    if (r.diagnostics?.length) throw new Error(`${type_name}: ${JSON.stringify(r.diagnostics)}`);
  }
  const validatedMs = performance.now() - t0;
  await c.controller("Shutdown").catch(() => undefined);
  c.close();
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.on("exit", r)));
  return { handshakeMs, firstRpcMs, validatedMs };
}

/**
 * A Terraform CLI config whose dev override is a directory holding only `exe` as the provider
 * binary, so Terraform runs the executable itself (the bin/ wrapper would fall back to dist/
 * when the executable is older than the compiled tree).
 */
function releaseCliConfig(exe: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "otterscale-bench-release-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(exe, path.join(dir, "terraform-provider-otterscale"));
  writeFileSync(path.join(dir, "cli.tfrc"), cliConfig(dir));
  return path.join(dir, "cli.tfrc");
}

/** The self-contained executable: `sea` if given, else built now from the compiled tree (dist/). */
function seaExecutable(sea: string | undefined): string {
  if (sea) return path.resolve(sea);
  const dir = mkdtempSync(path.join(tmpdir(), "otterscale-bench-sea-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const { buildSea } = require(path.join(repoRoot(), "scripts", "sea.js")) as { buildSea(out: string, o: { dist: string }): string };
  const t0 = performance.now();
  const exe = buildSea(path.join(dir, "terraform-provider-otterscale"), { dist: path.resolve(__dirname, "..") });
  console.log(`self-contained executable built in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(statSync(exe).size / 1e6).toFixed(0)} MB)`);
  return exe;
}

async function startup(runs: number, sea: string): Promise<void> {
  const client = selfSignedCert();
  const f = (x: number) => `${x.toFixed(0)} ms`;
  const medians: Record<string, number> = {};
  const exes = { wrapper: path.join(repoRoot(), "bin", "terraform-provider-otterscale"), sea };
  // Interleaved, so a busy machine slows both alike.
  const samples: Record<keyof typeof exes, StartSample[]> = { wrapper: [], sea: [] };
  for (const bin of Object.values(exes)) await startOnce(bin, client); // warm the OS file cache
  for (let i = 0; i < runs; i++) for (const [k, bin] of Object.entries(exes) as [keyof typeof exes, string][]) samples[k].push(await startOnce(bin, client));
  for (const [k, label] of [["wrapper", "bin/ wrapper (bash + Node 24 + dist/)"], ["sea", "self-contained executable"]] as const) {
    const hs = samples[k].map((s) => s.handshakeMs);
    const rpc = samples[k].map((s) => s.firstRpcMs);
    medians[k] = quantile(hs, 0.5);
    console.log(`${label}: start -> handshake line (${runs} runs): median ${f(quantile(hs, 0.5))}, p90 ${f(quantile(hs, 0.9))}, min ${f(Math.min(...hs))} (target ${TARGET_MS[k]} ms: ${quantile(hs, 0.5) <= TARGET_MS[k] ? "met" : "MISSED"})`);
    console.log(`${label}: start -> first RPC answered (GetProviderSchema, mTLS): median ${f(quantile(rpc, 0.5))}, p90 ${f(quantile(rpc, 0.9))}`);
    const val = samples[k].map((s) => s.validatedMs);
    console.log(`${label}: start -> a ValidateResourceConfig of each of ${VALIDATE.length} kinds answered (Terraform's validate process): median ${f(quantile(val, 0.5))}, p90 ${f(quantile(val, 0.9))}`);
  }
  console.log(`handshake median, self-contained / wrapper: ${(medians.sea / medians.wrapper).toFixed(2)}x`);
}

interface Timed {
  readonly s: number;
  readonly stdout: string;
}

async function timed(label: string, fn: () => Promise<{ code: number; stdout: string; stderr: string }>): Promise<Timed> {
  const t0 = performance.now();
  const r = await fn();
  const s = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`${label} failed (${r.code}): ${r.stderr.slice(0, 2000)}`);
  console.log(`  ${label}: ${s.toFixed(2)} s`);
  return { s, stdout: r.stdout };
}

/** The otterscale estate: N VMs and the servers (30 VMs each), group and quota they need. */
export function vmConfig(n: number): string {
  const servers = Math.ceil(n / 30);
  return (
    `terraform {\n  required_providers {\n    otterscale = { source = "otterscale/otterscale" }\n  }\n}\n\n` +
    `resource "otterscale_server" "s" {\n  count = ${servers}\n  name = "node-\${count.index}"\n  rack = "r\${count.index % 4}"\n  cpu_cores = 128\n  memory_gib = 512\n  storage_gib = 10000\n}\n\n` +
    `resource "otterscale_baremetal_group" "g" {\n  name = "general"\n  servers = otterscale_server.s[*].name\n}\n\n` +
    `resource "otterscale_tenant_quota" "q" {\n  tenant = "team-a"\n  group = otterscale_baremetal_group.g.name\n  cpu_cores = ${n * 2}\n  memory_gib = ${n * 4}\n  storage_gib = ${n * 20}\n}\n\n` +
    `resource "otterscale_virtual_machine" "vm" {\n  count = ${n}\n  name = "vm-\${count.index}"\n  tenant = otterscale_tenant_quota.q.tenant\n  group = otterscale_tenant_quota.q.group\n  cpu_cores = 1\n  memory_gib = 2\n  disk_gib = 10\n}\n`
  );
}

/** The baseline: Terraform's own cost for N resources carrying the same six arguments. */
export const baselineConfig = (n: number): string =>
  `resource "terraform_data" "d" {\n  count = ${n}\n  input = { name = "vm-\${count.index}", tenant = "team-a", group = "general", cpu_cores = 1, memory_gib = 2, disk_gib = 10 }\n}\n`;

const STEPS = ["apply", "plan", "destroy"] as const;
type Step = (typeof STEPS)[number];
const ARGS: Record<Step, string[]> = {
  apply: ["apply", "-auto-approve", "-no-color", "-input=false"],
  plan: ["plan", "-no-color", "-input=false", "-detailed-exitcode"],
  destroy: ["destroy", "-auto-approve", "-no-color", "-input=false"],
};

/**
 * terraform_data whose state is about as large as the VMs' (the VM's state also holds its rendered
 * manifest, ~1 KB of JSON): the same six arguments plus a manifest-like JSON string, half as long
 * as the VM's because terraform_data keeps its input twice (input and output). Terraform persists
 * the whole state after every resource it applies or destroys, so its own cost grows with state
 * size: this workspace shows that cost apart from the provider's (`--same-state`).
 */
export const sizedBaselineConfig = (n: number): string =>
  `resource "terraform_data" "d" {\n  count = ${n}\n  input = { name = "vm-\${count.index}", tenant = "team-a", group = "general", cpu_cores = 1, memory_gib = 2, disk_gib = 10, manifests = [jsonencode({ apiVersion = "kubevirt.io/v1", kind = "VirtualMachine", metadata = { name = "vm-\${count.index}", namespace = "team-a", labels = { "otterscale.io/tenant" = "team-a", "otterscale.io/group" = "general" } }, spec = { runStrategy = "Always", template = { spec = { domain = { cpu = { cores = 1 }, memory = { guest = "2Gi" } } } } } })] }\n}\n`;

/**
 * A manifest like the VM's (gitops, as in its state) for the baseline shaped like it, without the
 * data volume: terraform_data's state adds a type to every value, and this keeps the state as large
 * as the VMs' (within a few percent; the bench prints both sizes).
 */
const vmManifestHcl =
  `jsonencode({ apiVersion = "kubevirt.io/v1", kind = "VirtualMachine", metadata = { name = "vm-\${count.index}", namespace = "team-a", labels = { "app.kubernetes.io/managed-by" = "otterscale-iac", "otterscale.io/tenant" = "team-a", "otterscale.io/group" = "general", "otterscale.io/name" = "vm-\${count.index}", "otterscale.io/server" = "node-\${floor(count.index / 30)}" } }, ` +
  `spec = { runStrategy = "Always", template = { metadata = { labels = { "otterscale.io/tenant" = "team-a", "otterscale.io/name" = "vm-\${count.index}" } }, spec = { nodeSelector = { "kubernetes.io/hostname" = "node-\${floor(count.index / 30)}" }, domain = { cpu = { cores = 1 }, memory = { guest = "2Gi" } } } } } })`;

/**
 * terraform_data shaped like the VM's state, not only as large: the same six arguments and a
 * manifest like the VM's held once (in `triggers_replace`, which terraform_data does not echo to an
 * output), three dependencies (a VM refers to its quota, which refers to the group and the
 * servers) and two sensitive paths (the VM's schema marks user_data and user_data_wo, null or
 * not). Terraform handles dependencies and sensitive paths on every state write, so with it
 * `--same-state` splits the gap to plain terraform_data into Terraform's own cost of such a state
 * and what is left for the provider.
 */
export const shapedBaselineConfig = (n: number): string =>
  `resource "terraform_data" "server" {}\nresource "terraform_data" "group" {}\nresource "terraform_data" "quota" {}\n\n` +
  `resource "terraform_data" "d" {\n  count = ${n}\n  depends_on = [terraform_data.server, terraform_data.group, terraform_data.quota]\n` +
  `  triggers_replace = { name = "vm-\${count.index}", tenant = "team-a", group = "general", cpu_cores = 1, memory_gib = 2, disk_gib = 10, user_data = sensitive(null), user_data_wo = sensitive(null), manifests = [${vmManifestHcl}] }\n}\n`;

type Who = "ours" | "release" | "base" | "sized" | "shaped";
const WHO_LABEL: Record<Who, (n: number) => string> = {
  ours: (n) => `${n} otterscale_virtual_machine`,
  release: (n) => `${n} otterscale_virtual_machine (release executable)`,
  base: (n) => `${n} terraform_data`,
  sized: (n) => `${n} terraform_data (state as large)`,
  shaped: (n) => `${n} terraform_data (state shaped like the VMs)`,
};
const CONFIG: Record<Who, (n: number) => string> = { ours: vmConfig, release: vmConfig, base: baselineConfig, sized: sizedBaselineConfig, shaped: shapedBaselineConfig };

export interface ScaleResult {
  readonly n: number;
  readonly rounds: number;
  /** Median seconds per step, otterscale and baseline. */
  readonly ours: Record<Step, number>;
  readonly base: Record<Step, number>;
  /** With --same-state: the baseline whose state is as large as the VMs' (sizedBaselineConfig). */
  readonly sized?: Record<Step, number>;
  /** With --same-state: the baseline whose state is shaped like the VMs' (shapedBaselineConfig). */
  readonly shaped?: Record<Step, number>;
  /** With --release: the VMs again, Terraform running the self-contained executable (the release zip's). */
  readonly release?: Record<Step, number>;
  /** Bytes of terraform.tfstate after the apply, per workspace (last round). */
  readonly stateBytes: Partial<Record<Who, number>>;
}

/**
 * N VMs vs N terraform_data, `rounds` rounds. Each round makes fresh workspaces and runs apply,
 * no-change plan and destroy in each, alternating them step by step (and which one goes first
 * from round to round). `sameState` adds the terraform_data workspaces with a state as large and
 * with one shaped like the VMs'.
 */
export async function scale(n: number, rounds: number, sameState = false, releaseExe?: string): Promise<ScaleResult> {
  const whos: Who[] = ["ours", ...(releaseExe ? (["release"] as const) : []), "base", ...(sameState ? (["sized", "shaped"] as const) : [])];
  const samples = Object.fromEntries(whos.map((w) => [w, { apply: [], plan: [], destroy: [] }])) as unknown as Record<Who, Record<Step, number[]>>;
  const stateBytes: Partial<Record<Who, number>> = {};
  console.log(`N = ${n}: ${rounds} round(s), otterscale (+${Math.ceil(n / 30)} servers, a group, a quota) interleaved with terraform_data`);
  for (let r = 0; r < rounds; r++) {
    const sessions = {} as Record<Who, Awaited<ReturnType<typeof tfSession>>>;
    try {
      for (const who of whos) {
        sessions[who] = await tfSession(who === "release" ? { env: { TF_CLI_CONFIG_FILE: releaseCliConfig(releaseExe!) } } : {});
        sessions[who].write("main.tf", CONFIG[who](n));
      }
      const order = whos.map((_, i) => whos[(i + r) % whos.length]);
      for (const step of STEPS) {
        for (const who of order) {
          const label = `round ${r + 1}: ${step.padEnd(7)} ${WHO_LABEL[who](n)}`;
          // -detailed-exitcode: 0 = no changes (2 would mean the estate drifted: not a no-change plan).
          const t = await timed(label, () => sessions[who].run(ARGS[step], 3_600_000));
          samples[who][step].push(t.s);
          if (step === "apply") stateBytes[who] = statSync(path.join(sessions[who].dir, "terraform.tfstate")).size;
        }
      }
    } finally {
      for (const s of Object.values(sessions)) await s.close();
    }
  }
  const med = (xs: number[]) => quantile(xs, 0.5);
  const pick = (who: Who) => Object.fromEntries(STEPS.map((s) => [s, med(samples[who][s])])) as Record<Step, number>;
  return { n, rounds, ours: pick("ours"), base: pick("base"), ...(sameState ? { sized: pick("sized"), shaped: pick("shaped") } : {}), ...(releaseExe ? { release: pick("release") } : {}), stateBytes };
}

/** Target for apply and the no-change plan (issue 16): at most 1.3x terraform_data. */
const RATIO_TARGET = 1.3;

export function printTable(results: readonly ScaleResult[]): void {
  const f = (s: number) => `${s.toFixed(1)} s`;
  console.log(`\nN VMs vs N terraform_data with the same six arguments (medians; ratio = otterscale / terraform_data; target <= ${RATIO_TARGET}x for apply and plan)`);
  console.log(`| N | rounds | ${STEPS.map((s) => (s === "plan" ? "no-change plan" : s)).join(" | ")} |`);
  console.log(`|---|---|${STEPS.map(() => "---").join("|")}|`);
  const row = (label: string, r: ScaleResult, ours: Record<Step, number>) => {
    const cells = STEPS.map((s) => {
      const ratio = ours[s] / r.base[s];
      const mark = s === "destroy" ? "" : ratio <= RATIO_TARGET ? " (met)" : " (MISSED)";
      return `${f(ours[s])} vs ${f(r.base[s])} = ${ratio.toFixed(2)}x${mark}`;
    });
    console.log(`| ${label} | ${r.rounds} | ${cells.join(" | ")} |`);
  };
  for (const r of results) {
    row(String(r.n), r, r.ours);
    if (r.release) row(`${r.n}, release executable`, r, r.release);
  }
  const mb = (b: number | undefined) => (b === undefined ? "?" : `${(b / 1e6).toFixed(2)} MB`);
  for (const r of results) {
    const against = (label: string, who: "sized" | "shaped") => {
      const times = r[who];
      if (!times) return;
      const cells = STEPS.map((s) => `${s === "plan" ? "no-change plan" : s} ${f(times[s])} (otterscale / it: ${(r.ours[s] / times[s]).toFixed(2)}x)`);
      console.log(`N = ${r.n}, ${label} (${mb(r.stateBytes[who])}; VMs ${mb(r.stateBytes.ours)}, plain terraform_data ${mb(r.stateBytes.base)}): ${cells.join(", ")}`);
    };
    against("terraform_data with a state as large", "sized");
    against("terraform_data shaped like it (a manifest, 3 dependencies, 2 sensitive paths)", "shaped");
  }
}

export interface BenchOptions {
  /** Small N, fewer rounds, no startup part: for development. */
  readonly quick?: boolean;
  readonly runs?: number;
  readonly sea?: string;
  /** N values; each with its own round count (default: 500 x 3 and 2,000 x 1; quick: 100 x 2). */
  readonly sizes?: readonly number[];
  readonly rounds?: number;
  /** Run the start-to-handshake part (default: on unless quick). */
  readonly startup?: boolean;
  /** Also time terraform_data with a state as large as the VMs', and with one shaped like it (Terraform's own cost of such a state). */
  readonly sameState?: boolean;
  /** Also time the VMs with Terraform running the self-contained executable (built as for --startup, or --sea PATH). */
  readonly release?: boolean;
}

export async function main(opts: BenchOptions = {}): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string) => argv.includes(name);
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = opts.quick ?? flag("--quick");
  const startupOn = opts.startup ?? (flag("--startup") || (!quick && !flag("--no-startup")));
  const release = opts.release ?? flag("--release");
  const sea = (startupOn || release) ? seaExecutable(opts.sea ?? value("--sea")) : undefined;
  if (startupOn) await startup(Math.max(20, opts.runs ?? Number(value("--runs") ?? 20)), sea!);
  const releaseExe = release ? sea : undefined;
  const sizesArg = value("--sizes") ?? value("--scale");
  const sizes = opts.sizes ?? (sizesArg ? sizesArg.split(",").map(Number) : quick ? [100] : [500, 2000]);
  const roundsArg = opts.rounds ?? (value("--rounds") ? Number(value("--rounds")) : undefined);
  const results: ScaleResult[] = [];
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`--sizes: ${n} is not a positive whole number`);
    // The 2,000 run takes minutes per step: one round unless asked for more.
    results.push(await scale(n, roundsArg ?? (quick ? 2 : n >= 2000 ? 1 : 3), opts.sameState ?? flag("--same-state"), releaseExe));
    printTable(results);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
