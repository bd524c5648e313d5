/**
 * Per-call cost of the provider's gRPC transport (prints figures; no assertions).
 *
 * The provider's real server (plugin.ts startProvider: transport.ts listen, serve.ts services,
 * mutual TLS as go-plugin AutoMTLS sets it up) runs in a child process with the fake engine
 * holding `--resources` VMs. A grpc-js client in this process sends the calls a no-change plan
 * makes per resource (ValidateResourceConfig, UpgradeResourceState, ReadResource,
 * PlanResourceChange; VM payloads), `--inflight` at a time (Terraform's default parallelism is
 * 10), without deadlines (Terraform sets none). Per round: the server's CPU time per call
 * (process.cpuUsage of the child) and calls/s. The same calls made directly on the
 * ProviderServer (no gRPC) give the handlers' share; the rest is transport.
 *
 *   npx node dist/bench/grpc-transport.bench.js [--resources 500] [--rounds 7] [--inflight 10]
 *   npx node dist/bench/grpc-transport.bench.js --compare /tmp/dist-before   # old dist vs this one, interleaved
 *   ... --floor        # also the same calls on node:http2 alone (grpc-floor.ts): what grpc-js adds
 *   ... --plaintext    # also this tree without TLS: what mutual TLS adds
 *   ... --env NAME=V   # also this tree with an environment variable (UV_USE_IO_URING=0, NODE_OPTIONS=...)
 *   ... --cpu-prof DIR # a CPU profile per server process
 * The --compare directory is a whole dist/ (it must contain test/terraform/fake-engine.js) whose
 * node_modules resolve, e.g. a copy of dist/ next to a package.json and a node_modules link.
 *
 * Measured (Node 24, 2 shared cores, 500 VMs): ~125-145 us of server CPU per call at 10 in flight,
 * ~30-40 us of it in the handlers; ~240-280 us at 1 in flight (every call its own wake-up). The
 * floor is 0.76-0.87x of grpc-js, TLS ~0-13%: nearly all of a call is Node's HTTP/2 and event loop.
 */
import { fork, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { selfSignedCert } from "../provider/src/terraform/cert";
import { resourceSpec, providerSpec } from "../provider/src/terraform/schema";
import { dynamicValue } from "../provider/src/terraform/to-proto";
import { serviceDefinition } from "../provider/src/terraform/services";
import type { TfObject } from "../provider/src/terraform/codec/types";
import { median } from "./stats";
import { listenFloor } from "./grpc-floor";

const VM = "otterscale_virtual_machine";

interface Opts {
  resources: number;
  rounds: number;
  inflight: number;
  compare?: string;
  cpuProf?: string;
  floor?: boolean;
  plaintext?: boolean;
  /** `NAME=VALUE`: also this tree with that environment variable set (e.g. UV_USE_IO_URING=0). */
  env?: string;
}

function parseArgs(argv: string[]): Opts {
  const opts: Opts = { resources: 500, rounds: 7, inflight: 10 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === "--resources") (opts.resources = Number(v)), i++;
    else if (argv[i] === "--rounds") (opts.rounds = Number(v)), i++;
    else if (argv[i] === "--inflight") (opts.inflight = Number(v)), i++;
    else if (argv[i] === "--compare") (opts.compare = path.resolve(v)), i++;
    else if (argv[i] === "--floor") opts.floor = true;
    else if (argv[i] === "--plaintext") opts.plaintext = true;
    else if (argv[i] === "--env") (opts.env = v), i++;
    else if (argv[i] === "--cpu-prof") (opts.cpuProf = path.resolve(v)), i++;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return opts;
}

const vmArgs = (i: number) => ({ name: `vm-${i}`, tenant: "team-a", group: "general", cpu_cores: 1, memory_gib: 2, disk_gib: 10 });

/** `value` with every attribute and block of the type present (null when unset), as Terraform sends it. */
function full(value: Record<string, unknown>): TfObject {
  const spec = resourceSpec(VM)!;
  return { ...Object.fromEntries([...spec.attributes, ...spec.blocks].map((a) => [a.name, null])), ...value } as TfObject;
}

type Request = readonly [method: string, request: Record<string, unknown>];

/**
 * The four calls of a no-change plan for VM `i`, whose state is `state` (what the engine holds):
 * the configuration leaves computed attributes null, the prior state has them.
 */
function planCalls(i: number, state: Record<string, unknown>): Request[] {
  const spec = resourceSpec(VM)!;
  const config = dynamicValue(full(vmArgs(i)), spec.type);
  const prior = dynamicValue(full(state), spec.type);
  // What the apply left (private-state.ts): the fake engine's ledger and this workspace as owner.
  const priv = Buffer.from(JSON.stringify({ ledger_id: "fake-ledger-1", owner: "terraform:bench/default" }));
  return [
    ["ValidateResourceConfig", { type_name: VM, config }],
    ["UpgradeResourceState", { type_name: VM, version: 0, raw_state: { json: Buffer.from(JSON.stringify(full(state))) } }],
    ["ReadResource", { type_name: VM, current_state: prior, private: priv }],
    ["PlanResourceChange", { type_name: VM, prior_state: prior, proposed_new_state: prior, config, prior_private: priv }],
  ];
}

const configureRequest = () => ({ terraform_version: "1.11.4", config: dynamicValue({ ledger_url: null, controller_url: null } as TfObject, providerSpec().type) });

// ---- the server process -------------------------------------------------------------------------

/** Rounds not counted: the JIT is still settling (CPU per call falls for the first few rounds). */
const WARMUP = 3;

/** Servers other than a dist directory's: node:http2 alone (grpc-floor.ts), and this tree without TLS. */
const VARIANTS = ["floor", "plaintext"];

type ToChild = { op: "cpu" } | { op: "exit" } | { op: "direct"; resources: number };
type FromChild = { port: number; der: string; states: Record<string, unknown>[] } | { cpu: NodeJS.CpuUsage } | { directMs: number };

/** Child: the provider from `dist` (this tree's or --compare's) with the fake engine, over mutual TLS. */
async function serve(dist: string, resources: number, clientCertPem: string): Promise<void> {
  const here = path.resolve(__dirname, "..");
  const { startProvider } = require(path.join(VARIANTS.includes(dist) ? here : dist, "provider/src/terraform/plugin")) as typeof import("../provider/src/terraform/plugin");
  const { FakeEngine } = require(path.join(VARIANTS.includes(dist) ? here : dist, "test/terraform/fake-engine")) as typeof import("../test/terraform/fake-engine");
  const engine = new FakeEngine();
  const states: Record<string, unknown>[] = [];
  for (let i = 0; i < resources; i++) states.push(await engine.create("virtual_machine", vmArgs(i)));
  engine.calls.length = 0;
  // The fake engine records every call: keep that from growing over the rounds.
  const read = engine.read.bind(engine);
  engine.read = async (kind, id) => ((engine.calls.length = 0), read(kind, id));
  const cert = selfSignedCert();
  const tls = dist === "plaintext" ? {} : { tls: { certPem: cert.certPem, keyPem: cert.keyPem, clientCertPem, der: cert.der } };
  const running = await startProvider({ openEngine: async () => engine, ...tls });
  const port = dist === "floor" ? await listenFloor({ ...cert, clientCertPem }, running.provider) : running.port;
  process.on("disconnect", () => process.exit(0)); // the bench is gone
  process.on("message", (m: ToChild) => {
    if (m.op === "cpu") return void process.send!({ cpu: process.cpuUsage() } satisfies FromChild);
    if (m.op === "exit") return void process.exit(0); // (a --cpu-prof profile is written on exit)
    // The handlers alone: the same requests, decoded, on the ProviderServer.
    void (async () => {
      const provider = running.provider as unknown as Record<string, (r: unknown) => Promise<unknown>>;
      const calls = states.slice(0, m.resources).flatMap((s, i) => planCalls(i, s));
      const def = serviceDefinition("tfplugin6.Provider");
      const decode = (method: string, req: object) => def[method].requestDeserialize(def[method].requestSerialize(req));
      const decoded = calls.map(([method, req]) => [method, decode(method, req)] as const);
      const t0 = process.cpuUsage();
      for (const [method, req] of decoded) await provider[method].call(running.provider, req);
      const t = process.cpuUsage(t0);
      process.send!({ directMs: (t.user + t.system) / 1000 } satisfies FromChild);
    })();
  });
  process.send!({ port, der: cert.der.toString("base64"), states } satisfies FromChild);
}

// ---- the client (this process) ------------------------------------------------------------------

interface Server {
  readonly label: string;
  readonly child: ChildProcess;
  readonly client: grpc.Client & Record<string, Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  readonly calls: Request[];
}

function ask<T extends FromChild>(child: ChildProcess, msg: ToChild, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: FromChild) => {
      if (!(key in m)) return;
      child.off("message", on);
      resolve(m as T);
    };
    child.on("message", on);
    child.send(msg);
  });
}

async function startServer(label: string, dist: string, opts: Opts, clientCert: { certPem: string; keyPem: string }, env: Record<string, string> = {}): Promise<Server> {
  const child = fork(__filename, ["--serve", dist, String(opts.resources)], {
    env: { ...process.env, ...env, BENCH_CLIENT_CERT: clientCert.certPem },
    execArgv: opts.cpuProf ? ["--cpu-prof", "--cpu-prof-dir", opts.cpuProf] : [],
    stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = await new Promise<{ port: number; der: string; states: Record<string, unknown>[] }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as never));
    child.once("exit", (c) => reject(new Error(`${label} server exited ${c}`)));
  });
  const serverCertPem = new X509Certificate(Buffer.from(ready.der, "base64")).toString();
  const creds = dist === "plaintext" ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(Buffer.from(serverCertPem), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem));
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition("tfplugin6.Provider"), "tfplugin6.Provider");
  const client = new Ctor(`127.0.0.1:${ready.port}`, creds, { "grpc.ssl_target_name_override": "localhost" }) as Server["client"];
  const server: Server = { label, child, client, calls: ready.states.flatMap((s, i) => planCalls(i, s)) };
  await unary(server, "ConfigureProvider", configureRequest());
  return server;
}

function unary(s: Server, method: string, request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => s.client[method](request, (err: Error | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res))));
}

interface Round {
  readonly cpuUsPerCall: number;
  /** Of which in the kernel (syscalls, and on loopback much of TCP for both ends). */
  readonly sysUsPerCall: number;
  readonly callsPerS: number;
}

/** All of the server's calls, `inflight` at a time; the server's CPU time and the wall time. */
async function round(s: Server, inflight: number): Promise<Round> {
  const before = (await ask<{ cpu: NodeJS.CpuUsage }>(s.child, { op: "cpu" }, "cpu")).cpu;
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < s.calls.length) {
      const [method, request] = s.calls[next++];
      const res = await unary(s, method, request);
      if ((res.diagnostics as unknown[] | undefined)?.length) throw new Error(`${method}: ${JSON.stringify(res.diagnostics)}`);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const wall = performance.now() - t0;
  const after = (await ask<{ cpu: NodeJS.CpuUsage }>(s.child, { op: "cpu" }, "cpu")).cpu;
  const cpuUs = after.user + after.system - before.user - before.system;
  return { cpuUsPerCall: cpuUs / s.calls.length, sysUsPerCall: (after.system - before.system) / s.calls.length, callsPerS: (s.calls.length * 1000) / wall };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const clientCert = selfSignedCert();
  const here = path.resolve(__dirname, "..");
  const servers = [
    ...(opts.compare ? [await startServer(`before (${opts.compare})`, opts.compare, opts, clientCert)] : []),
    await startServer(opts.compare ? "after (this tree)" : "this tree", here, opts, clientCert),
    ...(opts.floor ? [await startServer("floor (node:http2, no grpc-js)", "floor", opts, clientCert)] : []),
    ...(opts.plaintext ? [await startServer("this tree without TLS", "plaintext", opts, clientCert)] : []),
    ...(opts.env ? [await startServer(`this tree with ${opts.env}`, here, opts, clientCert, Object.fromEntries([opts.env.split(/=(.*)/s).slice(0, 2)]))] : []),
  ];
  const n = servers[0].calls.length;
  console.log(`gRPC transport: ${n} calls per round (${opts.resources} VMs x 4 plan calls), ${opts.inflight} in flight, mutual TLS, ${opts.rounds} rounds (+${WARMUP} warm-up), Node ${process.version}`);
  const results = new Map<Server, Round[]>(servers.map((s) => [s, []]));
  for (let r = 0; r < WARMUP + opts.rounds; r++) {
    // Alternate which goes first, so a busy shared machine slows both alike.
    for (const s of r % 2 ? [...servers].reverse() : servers) {
      const res = await round(s, opts.inflight);
      if (r >= WARMUP) results.get(s)!.push(res);
    }
  }
  const medians = new Map<Server, number>();
  for (const s of servers) {
    const rs = results.get(s)!;
    const cpu = median(rs.map((x) => x.cpuUsPerCall));
    medians.set(s, cpu);
    // The handlers alone, median of 3 (after the rounds above warmed them up).
    const direct: number[] = [];
    for (let i = 0; i < 3; i++) direct.push((await ask<{ directMs: number }>(s.child, { op: "direct", resources: opts.resources }, "directMs")).directMs);
    const handlerUs = (median(direct) * 1000) / n;
    console.log(
      `${s.label}: server CPU ${cpu.toFixed(0)} us/call (kernel ${median(rs.map((x) => x.sysUsPerCall)).toFixed(0)} us; handlers ${handlerUs.toFixed(0)} us, gRPC + TLS ${(cpu - handlerUs).toFixed(0)} us), ` +
        `${median(rs.map((x) => x.callsPerS)).toFixed(0)} calls/s; rounds ${rs.map((x) => x.cpuUsPerCall.toFixed(0)).join(" ")} us`,
    );
  }
  for (const s of servers.slice(1)) console.log(`server CPU per call, ${s.label} / ${servers[0].label}: ${(medians.get(s)! / medians.get(servers[0])!).toFixed(2)}x`);
  for (const s of servers) {
    s.client.close();
    s.child.send({ op: "exit" } satisfies ToChild);
  }
}

if (process.argv[2] === "--serve") void serve(process.argv[3], Number(process.argv[4]), process.env.BENCH_CLIENT_CERT!);
else main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
