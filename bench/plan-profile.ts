/**
 * Where a no-change `terraform plan` of N VMs spends its time (prints a summary; no assertions).
 *
 * Applies the estate of terraform.bench.ts (N otterscale_virtual_machine + servers, group, quota),
 * then runs `terraform plan` with Terraform core's trace log (TF_LOG_CORE=trace, timestamps per
 * line) and every provider process under `node --cpu-prof` (NODE_OPTIONS, which the bin/ wrapper
 * passes on). Prints:
 * - the timeline from the trace log: provider processes started, and per RPC the number of calls
 *   and the span from first to last (how long each phase of the plan took);
 * - per provider process (one CPU profile each): wall time, time on the CPU, and the functions
 *   with the most self time, grouped by module (ours, yaml, grpc, sqlite, node internals).
 *
 *   node dist/bench/plan-profile.js [--n 500] [--keep DIR]
 *   node dist/bench/plan-profile.js --summarize DIR   # again, from a kept directory
 *   node dist/bench/plan-profile.js --apply [--n 500]  # the apply that creates the estate instead
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { TERRAFORM, tfSession } from "../test/terraform/tf-harness";
import { vmConfig } from "./terraform.bench";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function run(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(TERRAFORM, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stderr, ms: performance.now() - t0 }));
  });
}

/** Terraform core's trace log: provider starts and, per RPC, the count and first-to-last span. */
function timeline(logText: string): void {
  const lines = logText.split("\n");
  const t = (line: string) => Date.parse(line.slice(0, 24));
  const first = t(lines[0]);
  const rel = (ms: number) => `${((ms - first) / 1000).toFixed(2)} s`;
  const starts = lines.filter((l) => l.includes("provider: configuring client automatic mTLS"));
  const exits = lines.filter((l) => l.includes("plugin process exited") && l.includes("otterscale"));
  console.log(`provider processes: ${starts.length} started (at ${starts.map((l) => rel(t(l))).join(", ")}); exited at ${exits.map((l) => rel(t(l))).join(", ")}`);
  const rpcs = new Map<string, number[]>();
  for (const l of lines) {
    const m = /GRPCProvider\.v6: (\w+)/.exec(l);
    if (!m) continue;
    const at = t(l);
    if (Number.isNaN(at)) continue;
    (rpcs.get(m[1]) ?? rpcs.set(m[1], []).get(m[1])!).push(at);
  }
  const cached = lines.filter((l) => l.includes("returning cached schema")).length;
  if (cached) console.log(`  schema served from Terraform's cache: ${cached} times`);
  for (const [name, ats] of rpcs) console.log(`  ${name.padEnd(28)} ${String(ats.length).padStart(5)} calls, ${rel(Math.min(...ats))} .. ${rel(Math.max(...ats))}`);
  console.log(`trace log spans ${rel(t(lines.filter((l) => !Number.isNaN(t(l))).at(-1)!))}`);
}

/** A module group for a script URL. */
function moduleOf(url: string): string {
  if (!url) return "(native/gc/idle)";
  if (url.startsWith("node:")) return "node internals";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + 13).split("/").slice(0, url.slice(nm + 13).startsWith("@") ? 2 : 1).join("/");
  const d = url.indexOf("/dist/");
  return d >= 0 ? path.dirname(url.slice(d + 6)) : url;
}

/**
 * The layer a sample's leaf frame belongs to: the RPC transport (HTTP/2, TLS, sockets, grpc-js,
 * protobuf and our service glue), module loading, garbage collection, or the rest (our handlers
 * and the libraries they call).
 */
function layerOf(url: string, fn: string): string {
  if (!url) return fn === "(garbage collector)" ? "GC" : fn === "compileFunctionForCJSLoader" || fn === "readFileUtf8" ? "module loading" : "native other";
  if (/@grpc\/grpc-js|protobufjs|\/terraform\/(services|serve|in-flight)\.js$/.test(url)) return "transport (grpc-js, protobuf)";
  if (/^node:(internal\/)?(http2|net|tls|_tls|stream_base|streams|events|buffer|timers|process\/task_queues)/.test(url)) return "transport (node http2, tls, streams, ticks)";
  if (/^node:internal\/modules|^node:internal\/bootstrap/.test(url)) return "module loading";
  return "handlers and the rest";
}

function summarizeProfile(file: string): void {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // A sample carries the time since the previous one. On a busy machine the sampling thread is
  // sometimes not scheduled for tens of ms, and that whole gap would land on whatever function
  // the next sample hits (a 160 ms "onStreamClose" from two samples): cap each at 4 intervals.
  const sorted = [...p.timeDeltas].sort((a, b) => a - b);
  const cap = 4 * (sorted[sorted.length >> 1] ?? 1000);
  let gaps = 0;
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    gaps += Math.max(0, d - cap);
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + Math.min(d, cap));
  }
  const wall = (p.endTime - p.startTime) / 1000;
  let idle = 0;
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  const layers = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.functionName === "(idle)") {
      idle += us / 1000;
      continue;
    }
    const key = `${f.functionName || "(anonymous)"} ${moduleOf(f.url)}${f.url ? `:${f.lineNumber + 1}` : ""}`;
    fns.set(key, (fns.get(key) ?? 0) + us / 1000);
    const m = moduleOf(f.url) + (f.url ? "" : ` ${f.functionName}`);
    mods.set(m, (mods.get(m) ?? 0) + us / 1000);
    const l = layerOf(f.url, f.functionName);
    layers.set(l, (layers.get(l) ?? 0) + us / 1000);
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  const busy = [...layers.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${path.basename(file)}: wall ${wall.toFixed(0)} ms, on CPU ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms, sampler gaps ${(gaps / 1000).toFixed(0)} ms (not attributed)`);
  console.log("  self time by layer:");
  for (const [l, ms] of top(layers, 8)) console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${((100 * ms) / busy).toFixed(0).padStart(3)}%  ${l}`);
  console.log("  self time by module:");
  for (const [m, ms] of top(mods, 12)) console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${m}`);
  console.log("  top functions (self time):");
  for (const [f, ms] of top(fns, 12)) console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${f}`);
}

/** `--apply`: the same summary for the apply that creates the estate. */
async function profileApply(dir: string, baseEnv: NodeJS.ProcessEnv, n: number, out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const env = { ...baseEnv, TF_LOG_CORE: "trace", TF_LOG_PROVIDER: "info", TF_LOG_PATH: path.join(out, "terraform-trace.log"), NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${out}` };
  const applied = await run(dir, env, ["apply", "-auto-approve", "-no-color", "-input=false"]);
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr.slice(0, 2000)}`);
  console.log(`apply of ${n} VMs, traced and profiled: ${(applied.ms / 1000).toFixed(1)} s`);
  summarizeDir(out);
}

/** The summary of a kept directory (its trace log and CPU profiles). */
export function summarizeDir(dir: string): void {
  timeline(readFileSync(path.join(dir, "terraform-trace.log"), "utf8"));
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).sort()) summarizeProfile(path.join(dir, f));
}

export async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const again = arg("--summarize");
  if (again) return summarizeDir(again);
  const n = Number(arg("--n") ?? 500);
  const s = await tfSession();
  try {
    s.write("main.tf", vmConfig(n));
    if (process.argv.includes("--apply")) return await profileApply(s.dir, s.env, n, arg("--keep") ?? path.join(s.dir, "..", "profile"));
    const applied = await run(s.dir, s.env, ["apply", "-auto-approve", "-no-color", "-input=false"]);
    if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr.slice(0, 2000)}`);
    console.log(`apply of ${n} VMs: ${(applied.ms / 1000).toFixed(1)} s`);
    const out = arg("--keep") ?? path.join(s.dir, "..", "profile");
    mkdirSync(out, { recursive: true });
    const logPath = path.join(out, "terraform-trace.log");
    const env = { ...s.env, TF_LOG_CORE: "trace", TF_LOG_PROVIDER: "info", TF_LOG_PATH: logPath, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${out}` };
    const plain = await run(s.dir, s.env, ["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
    if (plain.code !== 0) throw new Error(`plan (unprofiled) exited ${plain.code}: ${plain.stderr.slice(0, 2000)}`);
    console.log(`no-change plan, unprofiled: ${(plain.ms / 1000).toFixed(2)} s`);
    const planned = await run(s.dir, env, ["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
    if (planned.code !== 0) throw new Error(`plan exited ${planned.code}: ${planned.stderr.slice(0, 2000)}`);
    console.log(`no-change plan, traced and profiled: ${(planned.ms / 1000).toFixed(2)} s`);
    summarizeDir(out);
    writeFileSync(path.join(out, "README.txt"), `no-change plan of ${n} VMs\n`);
    if (arg("--keep")) console.log(`\nkept in ${out}`);
  } finally {
    await s.close();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
