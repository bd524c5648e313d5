/**
 * Committed VM reservations per second on the embedded SQLite ledger: reserve (quota + placement
 * + pending row) -> controller -> commit, measured through the engine.
 *  - "ledger only": a controller that answers at once, so the figure is the ledger's;
 *  - "with gitops": the real embedded controller writing one YAML file per VM;
 *  - 4 OS processes sharing one ledger file (ledger only).
 * Each figure is the median of 3 runs; all run side by side in one invocation.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Engine } from "../provider/src/engine/engine";
import { openControllers } from "../provider/src/controllers/registry";
import { openLedger } from "../provider/src/ledger/open";
import type { Controllers } from "../provider/src/controllers/types";
import { median } from "./stats";

const VMS = Number(process.env.BENCH_VMS ?? 2000);

/** A controller that accepts everything instantly: isolates the ledger's cost. */
export function instantControllers(): Controllers {
  return {
    url: "instant://",
    forKind: (kind) => ({
      apply: async (obj) => ({ kind, key: obj.key, status: "Running", fields: {} }),
      get: async (key) => ({ kind, key, status: "Running", fields: {} }),
      delete: async () => undefined,
      list: async () => [],
    }),
  };
}

/** 40 servers of 512 cores in group g, and an unlimited quota for tenant bench (ledger: SQLite in home, or `ledgerUrl`). */
export async function estate(home: string, controllers: Controllers, ledgerUrl = `sqlite://${path.join(home, "ledger.db")}`): Promise<Engine> {
  // A new ledger for each run (the estate is what every run starts from).
  const engine = new Engine(await openLedger(ledgerUrl, { create: true }), controllers, 60_000);
  const servers: string[] = [];
  for (let i = 0; i < 40; i++) {
    servers.push(`s${i}`);
    await engine.create("server", { name: `s${i}`, rack: `r${i % 4}`, cpu_cores: 512, memory_gib: 4096, storage_gib: 100000 });
  }
  await engine.create("baremetal_group", { name: "g", servers });
  await engine.create("tenant_quota", { tenant: "bench", group: "g" });
  return engine;
}

/** Creates `n` VMs with bounded concurrency (like terraform -parallelism=10); returns creates/s. */
export async function createMany(engine: Engine, n: number, prefix: string, parallelism = 10): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallelism }, async () => {
      while (next < n) {
        const i = next++;
        await engine.create("virtual_machine", { name: `${prefix}-${i}`, tenant: "bench", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 1 });
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function oneProcess(kind: "instant" | "gitops"): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "otterscale-bench-"));
    const engine = await estate(home, kind === "instant" ? instantControllers() : openControllers(`gitops://${path.join(home, "manifests")}`));
    runs.push(await createMany(engine, VMS, "vm"));
    await engine.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return median(runs);
}

async function processes(n: number): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "otterscale-bench-"));
    await (await estate(home, instantControllers())).close();
    const per = Math.floor(VMS / n);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [__filename, "--worker", home, `p${i}`, String(per)], { stdio: "inherit" });
          child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
        }),
      ),
    );
    runs.push((per * n) / ((performance.now() - t0) / 1000));
    fs.rmSync(home, { recursive: true, force: true });
  }
  return median(runs);
}

export async function main(): Promise<Record<string, number>> {
  console.log(`ledger: committed VM reservations per second (SQLite, ${VMS} VMs, parallelism 10, median of 3 runs)`);
  console.log("target: >= 1,000/s in one process");
  const instant = await oneProcess("instant");
  console.log(`  1 process, ledger only          ${instant.toFixed(0).padStart(6)} /s`);
  const gitops = await oneProcess("gitops");
  console.log(`  1 process, with gitops manifests ${gitops.toFixed(0).padStart(6)} /s   (${(gitops / instant).toFixed(2)}x of ledger only)`);
  const four = await processes(4);
  console.log(`  4 processes, ledger only        ${four.toFixed(0).padStart(6)} /s   (${(four / instant).toFixed(2)}x of 1 process; one writer at a time by design)`);
  return { instant, gitops, fourProcesses: four };
}

async function worker(home: string, prefix: string, n: number) {
  const engine = new Engine(await openLedger(`sqlite://${path.join(home, "ledger.db")}`), instantControllers(), 60_000);
  await createMany(engine, n, prefix);
  await engine.close();
}

if (require.main === module) {
  const run = process.argv[2] === "--worker" ? worker(process.argv[3], process.argv[4], Number(process.argv[5])) : main();
  run.catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
