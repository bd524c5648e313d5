/**
 * Terraform provider benchmarks (prints figures; no assertions).
 *
 * 1. Start-to-handshake: spawn the provider as Terraform does (magic cookie, PLUGIN_CLIENT_CERT)
 *    and time until the handshake line; also until the first RPC (GetProviderSchema over mutual
 *    TLS) answers. >= 20 runs, median and p90, for bin/terraform-provider-otterscale (the wrapper:
 *    bash + Node 24 + dist/, target 300 ms) and the self-contained executable (scripts/sea.js,
 *    built from the current dist/ into a temp directory, or --sea PATH; target 150 ms).
 * 2. (--scale N, needs the real engine) `terraform apply` of N otterscale_virtual_machine vs N
 *    terraform_data, with the real binary and the real engine (ledger under a temp OTTERSCALE_HOME).
 *
 *   node dist/bench/terraform.bench.js [--runs 20] [--scale 500] [--sea PATH]
 */
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../provider/src/terraform/handshake";
import { selfSignedCert } from "../provider/src/terraform/cert";
import { pluginClient } from "../test/terraform/grpc-client";
import { providerMain, repoRoot, tfSession } from "../test/terraform/tf-harness";

const TARGET_MS = { wrapper: 300, sea: 150 } as const;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

interface StartSample {
  handshakeMs: number;
  firstRpcMs: number;
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
  await c.controller("Shutdown").catch(() => undefined);
  c.close();
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.on("exit", r)));
  return { handshakeMs, firstRpcMs };
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

async function startup(runs: number, sea: string | undefined): Promise<void> {
  const client = selfSignedCert();
  const f = (x: number) => `${x.toFixed(0)} ms`;
  const medians: Record<string, number> = {};
  const exes = { wrapper: path.join(repoRoot(), "bin", "terraform-provider-otterscale"), sea: seaExecutable(sea) };
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
  }
  console.log(`handshake median, self-contained / wrapper: ${(medians.sea / medians.wrapper).toFixed(2)}x`);
}

async function timed(label: string, fn: () => Promise<{ code: number; stderr: string }>): Promise<number> {
  const t0 = performance.now();
  const r = await fn();
  const s = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`${label} failed (${r.code}): ${r.stderr.slice(0, 2000)}`);
  console.log(`${label}: ${s.toFixed(1)} s`);
  return s;
}

/**
 * N VMs (real binary, real engine) vs N terraform_data, side by side, 3 rounds, medians. Two
 * baselines, because Terraform core's own cost grows with the size of each resource's value:
 * bare `terraform_data` (a string input), and `terraform_data` whose input carries the same six
 * arguments each VM is configured with.
 */
async function scale(n: number, rounds = 3): Promise<void> {
  const servers = Math.ceil(n / 30);
  const vmConfig =
    `terraform {\n  required_providers {\n    otterscale = { source = "otterscale/otterscale" }\n  }\n}\n\n` +
    `resource "otterscale_server" "s" {\n  count = ${servers}\n  name = "node-\${count.index}"\n  rack = "r\${count.index % 4}"\n  cpu_cores = 128\n  memory_gib = 512\n  storage_gib = 10000\n}\n\n` +
    `resource "otterscale_baremetal_group" "g" {\n  name = "general"\n  servers = otterscale_server.s[*].name\n}\n\n` +
    `resource "otterscale_tenant_quota" "q" {\n  tenant = "team-a"\n  group = otterscale_baremetal_group.g.name\n  cpu_cores = ${n * 2}\n  memory_gib = ${n * 4}\n  storage_gib = ${n * 20}\n}\n\n` +
    `resource "otterscale_virtual_machine" "vm" {\n  count = ${n}\n  name = "vm-\${count.index}"\n  tenant = otterscale_tenant_quota.q.tenant\n  group = otterscale_tenant_quota.q.group\n  cpu_cores = 1\n  memory_gib = 2\n  disk_gib = 10\n}\n`;
  const bare = `resource "terraform_data" "d" {\n  count = ${n}\n  input = "d-\${count.index}"\n}\n`;
  const sameArgs = `resource "terraform_data" "d" {\n  count = ${n}\n  input = { name = "vm-\${count.index}", tenant = "team-a", group = "general", cpu_cores = 1, memory_gib = 2, disk_gib = 10 }\n}\n`;
  const samples: Record<string, number[]> = { ours: [], bare: [], sameArgs: [], plan: [] };
  for (let r = 0; r < rounds; r++) {
    const sessions = { ours: await tfSession(), bare: await tfSession(), sameArgs: await tfSession() };
    try {
      sessions.ours.write("main.tf", vmConfig);
      sessions.bare.write("main.tf", bare);
      sessions.sameArgs.write("main.tf", sameArgs);
      samples.ours.push(await timed(`  round ${r + 1}: apply ${n} otterscale_virtual_machine (+${servers} servers, group, quota)`, () => sessions.ours.run(["apply", "-auto-approve", "-no-color"], 1_800_000)));
      samples.bare.push(await timed(`  round ${r + 1}: apply ${n} terraform_data (string input)`, () => sessions.bare.run(["apply", "-auto-approve", "-no-color"], 1_800_000)));
      samples.sameArgs.push(await timed(`  round ${r + 1}: apply ${n} terraform_data (input = the VM's 6 arguments)`, () => sessions.sameArgs.run(["apply", "-auto-approve", "-no-color"], 1_800_000)));
      samples.plan.push(await timed(`  round ${r + 1}: plan (no changes) ${n} VMs`, () => sessions.ours.run(["plan", "-no-color"], 1_800_000)));
    } finally {
      for (const s of Object.values(sessions)) await s.close();
    }
  }
  const med = (xs: number[]) => quantile(xs, 0.5);
  const f = (s: number) => `${s.toFixed(1)} s`;
  console.log(`terraform apply, median of ${rounds}: ${n} VMs ${f(med(samples.ours))}; terraform_data bare ${f(med(samples.bare))}; terraform_data with the VM arguments ${f(med(samples.sameArgs))}; no-change plan ${f(med(samples.plan))}`);
  console.log(`ratio vs bare terraform_data: ${(med(samples.ours) / med(samples.bare)).toFixed(2)}x   ratio vs terraform_data with the same arguments: ${(med(samples.ours) / med(samples.sameArgs)).toFixed(2)}x   (target <= 2.0x)`);
}

export async function main(opts: { runs?: number; scale?: number; sea?: string } = {}): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const seaArg = process.argv.indexOf("--sea");
  await startup(Math.max(20, opts.runs ?? arg("--runs") ?? 20), opts.sea ?? (seaArg > 0 ? process.argv[seaArg + 1] : undefined));
  const n = opts.scale ?? arg("--scale");
  if (n) await scale(n);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
