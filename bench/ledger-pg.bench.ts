/**
 * Committed VM reservations per second on the shared PostgreSQL ledger with 1, 4 and 8 client
 * processes, next to the embedded SQLite ledger's single-process figure, in one run. Every
 * reservation goes through the engine (reserve -> controller -> commit) with a controller that
 * answers at once, so the figures are the ledgers'. Each process runs `createMany` with
 * parallelism 10 (terraform's default). Processes open their engine first and start together on
 * a signal, so process start-up is not timed; each has first made BENCH_WARMUP creates on a
 * scratch ledger, so neither is Node's compilation of the hot code. The PostgreSQL server is
 * started here, like the tests do (fsync off: figures are for the ledger's locking and round trips, not for disks).
 * Each process count runs twice, alternating: "locked" (every write transaction reads under the
 * ledger's lock, the baseline) and "speculative" (reservations and commits decide on unlocked reads
 * and commit as one checked message on the commit lane: ledger/speculation.ts, pg-lane.ts), so
 * their ratio is measured in the same run. Each figure is the median of 3 runs.
 * `npm run build && npx node dist/bench/ledger-pg.bench.js`. Each run also prints the CPU it cost per
 * reservation, in the client processes together and in the PostgreSQL server (Linux /proc).
 * The per-statement lines time each round trip from the client: the first statement of a
 * transaction leaves with BEGIN and the lock (so its time includes the lock wait), a "BATCH"
 * is the queued writes as one statement, "+ COMMIT" when COMMIT went with it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { Engine } from "../provider/src/engine/engine";
import { openLedger } from "../provider/src/ledger/open";
import type { PostgresLedger } from "../provider/src/ledger/postgres";
import { WriteStats, type WriteStatsSummary } from "../provider/src/ledger/pg-stats";
import { startPostgres, type PgServer } from "../test/support/postgres";
import { createMany, estate, instantControllers } from "./ledger.bench";
import { median } from "./stats";

const VMS = Number(process.env.BENCH_VMS ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Process counts to measure (BENCH_PROCESSES=1,4 for a quicker look). */
const PROCESSES = (process.env.BENCH_PROCESSES ?? "1,4,8").split(",").map(Number);
/**
 * Creates each worker makes first on a scratch ledger, untimed: Node compiles hot code per process,
 * and a process's first few hundred creates cost up to twice the CPU of later ones. Like process
 * start-up, that is not the ledger's cost (BENCH_WARMUP=0 for cold processes).
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
/** Node flags for the worker processes, e.g. BENCH_WORKER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const WORKER_FLAGS = (process.env.BENCH_WORKER_FLAGS ?? "").split(" ").filter(Boolean);

/** SQLite, one process, in-process (the figure bench/ledger.bench.ts reports). */
async function sqliteOneProcess(): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "otterscale-bench-"));
    const engine = await estate(home, instantControllers());
    runs.push(await createMany(engine, VMS, "vm"));
    await engine.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return median(runs);
}

interface Run {
  readonly rate: number;
  /** Write-transaction timing of worker 0 (see provider/src/ledger/pg-stats.ts). */
  readonly stats: WriteStatsSummary;
  /** CPU per reservation, ms: all workers together, and the PostgreSQL server (NaN without /proc). */
  readonly clientCpuMs: number;
  readonly serverCpuMs: number;
}

/**
 * CPU the PostgreSQL server has used so far, ms (Linux /proc): the postmaster and its live
 * children, plus the children it has reaped (a backend's time moves to the postmaster's when its
 * connection ends).
 */
function serverCpuMs(pg: PgServer): number {
  try {
    const ticks = (pid: string, fields: number[]) => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return fields.reduce((sum, i) => sum + Number(f[i - 3]), 0);
    };
    const postmaster = fs.readFileSync(path.join(pg.dir, "data", "postmaster.pid"), "utf8").split("\n")[0].trim();
    let total = ticks(postmaster, [14, 15, 16, 17]);
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] === postmaster) total += ticks(pid, [14, 15]);
      } catch {
        // gone meanwhile
      }
    }
    return (total * 1000) / 100; // USER_HZ
  } catch {
    return Number.NaN;
  }
}

/** N worker processes on one ledger, started together; returns committed creates/s over the wall time. */
async function processes(pg: PgServer, n: number, ledgerUrl: string, speculation: boolean): Promise<Run> {
  const per = Math.floor(VMS / n);
  const warmUrl = await pg.createDatabase("warm");
  await (await estate(os.tmpdir(), instantControllers(), warmUrl)).close();
  const args = (i: number) => [...WORKER_FLAGS, __filename, "--worker", ledgerUrl, `p${i}`, String(per), speculation ? "speculative" : "locked", warmUrl];
  const children = Array.from({ length: n }, (_, i) => spawn(process.execPath, args(i), { stdio: ["pipe", "pipe", "inherit"] }));
  const lines = children.map((c) => readline.createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
  const exited = children.map((c, i) => new Promise<void>((resolve, reject) => c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker ${i} exited ${code}`))))));
  for (const l of lines) if ((await l.next()).value !== "ready") throw new Error("worker did not get ready");
  const server0 = serverCpuMs(pg);
  const t0 = performance.now();
  for (const c of children) c.stdin!.end("go\n");
  const stats = lines.map((l) => l.next());
  await Promise.all(exited);
  const rate = (per * n) / ((performance.now() - t0) / 1000);
  const reports = (await Promise.all(stats)).map((r) => JSON.parse(String(r.value)) as WorkerReport);
  const clientCpuMs = reports.reduce((sum, r) => sum + r.cpuMs, 0) / (per * n);
  return { rate, stats: reports[0].stats, clientCpuMs, serverCpuMs: (serverCpuMs(pg) - server0) / (per * n) };
}

/** The median run of `RUNS` (by rate), with its timing; locked and speculative runs alternate (same machine state). */
async function postgres(pg: PgServer, n: number): Promise<{ locked: Run; speculative: Run }> {
  const runs = { locked: [] as Run[], speculative: [] as Run[] };
  for (let r = 0; r < RUNS; r++) {
    for (const mode of ["locked", "speculative"] as const) {
      const url = await pg.createDatabase("bench");
      await (await estate(os.tmpdir(), instantControllers(), url)).close();
      runs[mode].push(await processes(pg, n, url, mode === "speculative"));
    }
  }
  const pick = (rs: Run[]) => {
    const rate = median(rs.map((r) => r.rate));
    return rs.find((r) => r.rate === rate) ?? rs[0];
  };
  return { locked: pick(runs.locked), speculative: pick(runs.speculative) };
}

/** Lock hold per reservation and the statements inside the critical section, as one block. */
function printStats(s: WriteStatsSummary, n: number): void {
  const reservations = Math.floor(VMS / n);
  const modes = Object.entries(s.modes).map(([m, c]) => `${m} ${c}`).join(", ");
  const spec = Object.entries(s.speculations).map(([m, c]) => `${m} ${c}`).join(", ");
  console.log(
    `      worker 0: ${s.transactions} write transactions (${modes}), ${(s.jobs / reservations).toFixed(2)} per reservation; ` +
      `lock wait median ${s.medianWaitMs.toFixed(2)} ms; lock held median ${s.medianHoldMs.toFixed(2)} ms per transaction, ${(s.totalHoldMs / reservations).toFixed(2)} ms per reservation; ${s.statementsPerTx.toFixed(1)} statements per transaction${spec ? `; speculative: ${spec}` : ""}`,
  );
  const top = s.perTx.slice(0, 8).map((p) => `${p.label} ${p.count.toFixed(1)}x ${p.ms.toFixed(2)} ms`);
  console.log(`      lock held per transaction, by statement: ${top.join("; ")}`);
  // A commit-lane transaction holds the lock only while the server runs its message; the client
  // sees BEGIN's answer and COMMIT's, often in one read, so its "held" is an upper bound that
  // includes the answers' trip back (and, in a group, the members after it).
  if (s.modes.lane) console.log("      (lane: lock held = BEGIN answered -> COMMIT answered as the client sees it, an upper bound)");
}

export async function main(): Promise<Record<string, number>> {
  console.log(`ledger on PostgreSQL: committed VM reservations per second (${VMS} VMs per run, parallelism 10 per process, median of ${RUNS} runs)`);
  const pg = await startPostgres();
  try {
    const sqlite = await sqliteOneProcess();
    console.log(`  SQLite, 1 process (embedded)    ${sqlite.toFixed(0).padStart(6)} /s`);
    const out: Record<string, number> = { sqlite1: sqlite };
    const one = { locked: 0, speculative: 0 };
    for (const n of PROCESSES) {
      const runs = await postgres(pg, n);
      for (const mode of ["locked", "speculative"] as const) {
        const v = runs[mode].rate;
        if (n === 1) one[mode] = v;
        out[`postgres${n}${mode === "locked" ? "Locked" : ""}`] = v;
        const vsOne = n === 1 ? "" : `, ${(v / one[mode]).toFixed(2)}x of 1 process`;
        const vsLocked = mode === "speculative" ? `, ${(v / runs.locked.rate).toFixed(2)}x of locked` : "";
        console.log(`  PostgreSQL ${mode.padEnd(11)}, ${n} process${n === 1 ? " " : "es"} ${v.toFixed(0).padStart(6)} /s   (${(v / sqlite).toFixed(2)}x of SQLite${vsOne}${vsLocked})`);
        const r = runs[mode];
        console.log(`      CPU per reservation: clients ${r.clientCpuMs.toFixed(3)} ms, server ${r.serverCpuMs.toFixed(3)} ms (the machine has ${os.availableParallelism()} cores)`);
        printStats(runs[mode].stats, n);
      }
    }
    return out;
  } finally {
    pg.stop();
  }
}

/** What a worker reports when done: its write-transaction timing and the CPU its creates took. */
interface WorkerReport {
  readonly stats: WriteStatsSummary;
  readonly cpuMs: number;
}

/** Worker: opens the engine, says `ready`, waits for `go` on stdin, creates its VMs. */
async function worker(ledgerUrl: string, prefix: string, n: number, mode: string, warmUrl: string) {
  if (WARMUP > 0) {
    const warm = (await openLedger(warmUrl)) as PostgresLedger;
    warm.speculation = mode === "speculative";
    const scratch = new Engine(warm, instantControllers(), 60_000);
    await createMany(scratch, WARMUP, `warm-${prefix}`);
    await scratch.close();
  }
  const ledger = (await openLedger(ledgerUrl)) as PostgresLedger;
  ledger.speculation = mode === "speculative";
  const stats = (ledger.stats = new WriteStats());
  const engine = new Engine(ledger, instantControllers(), 60_000);
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  const cpu0 = process.cpuUsage();
  await createMany(engine, n, prefix);
  const cpu = process.cpuUsage(cpu0);
  await engine.close();
  const report: WorkerReport = { stats: stats.summary(), cpuMs: (cpu.user + cpu.system) / 1000 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
  const run = process.argv[2] === "--worker" ? worker(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6], process.argv[7]) : main();
  run.catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
