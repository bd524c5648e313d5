/**
 * Engine-level VM reservations in one large group (10,000 servers by default, BENCH_SERVERS),
 * with and without the engine's cached candidate index, interleaved in one run on one SQLite
 * ledger: create (quota + load read + placement + pending row) -> instant controller -> commit.
 *
 *   node dist/bench/placement-engine.bench.js
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Engine } from "../provider/src/engine/engine";
import type { PlacementIndexes } from "../provider/src/engine/placement-indexes";
import { openLedger } from "../provider/src/ledger/open";
import type { Ledger } from "../provider/src/ledger/records";
import { instantControllers } from "./ledger.bench";
import { percentile } from "./stats";

const SERVERS = Number(process.env.BENCH_SERVERS ?? 10_000);
const VMS = Number(process.env.BENCH_VMS ?? 200);

const serverName = (i: number) => `s${String(i).padStart(6, "0")}`;

/**
 * `n` servers of three sizes, 0-90 % loaded (allocations of background VMs), written in one
 * audited transaction (creating them one by one through the engine would take minutes).
 */
async function seed(ledger: Ledger, engine: Engine, n: number): Promise<void> {
  await engine.create("server", { name: serverName(0), rack: "r0", cpu_cores: 64, memory_gib: 512, storage_gib: 4000 });
  await ledger.transaction(async (tx) => {
    const first = (await tx.get("server", serverName(0)))!;
    for (let i = 0; i < n; i++) {
      const cores = [32, 64, 128][i % 3]!;
      const name = serverName(i);
      if (i > 0) await tx.put({ ...first, key: name, spec: { ...first.spec, name, rack: `r${i % 100}`, cpu_cores: cores, memory_gib: cores * 8 }, generation: 1 });
      const f = ((i * 7919) % 90) / 100;
      const resources = { cpu: Math.floor(cores * 1000 * f), memory: Math.floor(cores * 8000 * f * ((i % 5) / 5 + 0.6)), storage: 0, gpus: 0 };
      await tx.setAllocations("virtual_machine", `background/bg-${i}`, [{ kind: "virtual_machine", key: `background/bg-${i}`, replica: 0, server: name, resources, gpuModel: null }]);
    }
    await tx.appendAudit({ at: Date.now(), op: "seed", kind: "server", key: "*", tenant: null, grp: null, delta: { servers: n }, opId: null });
  });
  await engine.create("baremetal_group", { name: "g", selector: { racks: Array.from({ length: 100 }, (_, i) => `r${i}`) } });
  await engine.create("tenant_quota", { tenant: "bench", group: "g" });
}

export interface EngineFigures {
  readonly servers: number;
  readonly vms: number;
  readonly plain: { median: number; p99: number };
  readonly indexed: { median: number; p99: number };
}

export async function main(): Promise<EngineFigures> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "otterscale-bench-"));
  const url = `sqlite://${path.join(home, "ledger.db")}`;
  const indexedLedger = await openLedger(url, { create: true });
  const indexed = new Engine(indexedLedger, instantControllers(), 60_000);
  const plain = new Engine(await openLedger(url), instantControllers(), 60_000);
  // The plain engine never gets an index: what every engine did before (the plain scan).
  (plain as unknown as { placement: Pick<PlacementIndexes, "indexFor"> }).placement = { indexFor: () => undefined };
  try {
    await seed(indexedLedger, indexed, SERVERS);
    const times = { plain: [] as number[], indexed: [] as number[] };
    const warm = 10;
    for (let i = 0; i < VMS + warm; i++) {
      for (const [label, engine] of [["indexed", indexed], ["plain", plain]] as const) {
        const spec = { name: `${label}-${i}`, tenant: "bench", group: "g", cpu_cores: 1 + (i % 8), memory_gib: 2 ** (i % 5), disk_gib: 10 };
        const t0 = performance.now();
        await engine.create("virtual_machine", spec);
        if (i >= warm) times[label].push(performance.now() - t0);
      }
    }
    const figure = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return { median: percentile(s, 50), p99: percentile(s, 99) };
    };
    const out = { servers: SERVERS, vms: VMS, plain: figure(times.plain), indexed: figure(times.indexed) };
    console.log(`placement through the engine: VM creates in one group of ${SERVERS.toLocaleString("en")} servers (SQLite ledger, instant controller), ${VMS} each, interleaved`);
    console.log(`  plain scan     median ${out.plain.median.toFixed(2)} ms  p99 ${out.plain.p99.toFixed(2)} ms`);
    console.log(`  cached index   median ${out.indexed.median.toFixed(2)} ms  p99 ${out.indexed.p99.toFixed(2)} ms   (plain / indexed median ${(out.plain.median / out.indexed.median).toFixed(2)}x)`);
    return out;
  } finally {
    await plain.close();
    await indexed.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
