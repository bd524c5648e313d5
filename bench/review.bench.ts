/**
 * Review session benchmark (prints figures; no assertions): what deterministic blame costs.
 *
 * N VM creates reviewed as Terraform sends them, `parallelism` at a time (each call waits for its
 * verdict before the next is sent, like Terraform's semaphore), against the real engine on a temp
 * SQLite ledger. Compares the session's quiet period (WAVE_MS) with none (0 ms: waves close on
 * the next timer tick). Prints the median wall time of `runs` runs and the ratio.
 *
 *   node dist/bench/review.bench.js [--n 200] [--parallelism 10] [--runs 3]
 */
import type { PlannedChange } from "../provider/src/api";
import { ReviewSession, WAVE_MS } from "../provider/src/engine/review/session";
import { seedEstate, testEngine, vm } from "../test/support/estate";
import { median } from "./stats";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

async function once(n: number, parallelism: number, waveMs: number): Promise<number> {
  const { engine } = await testEngine();
  try {
    await seedEstate(engine, { quota: { cpu_cores: 100_000, memory_gib: 1_000_000, storage_gib: 10_000_000 } });
    const session = new ReviewSession(async () => engine, waveMs);
    const changes: PlannedChange[] = Array.from({ length: n }, (_, i) => ({ action: "create", kind: "virtual_machine", args: vm(`v-${i}`, { cpu_cores: 0.1, memory_gib: 0.1, disk_gib: 0.1 }), address: `vm[${i}]` }));
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: parallelism }, async () => {
        while (next < changes.length) await session.review(changes[next++]);
      }),
    );
    return performance.now() - t0;
  } finally {
    await engine.close();
  }
}

export async function main(): Promise<void> {
  const n = arg("n", 200);
  const parallelism = arg("parallelism", 10);
  const runs = arg("runs", 3);
  const results: Record<string, number> = {};
  for (const waveMs of [0, WAVE_MS]) {
    const samples: number[] = [];
    for (let r = 0; r < runs; r++) samples.push(await once(n, parallelism, waveMs));
    results[waveMs] = median(samples);
    console.log(`review of ${n} creates, parallelism ${parallelism}, wave ${waveMs} ms: median ${results[waveMs].toFixed(0)} ms (${runs} runs)`);
  }
  console.log(`ratio wave ${WAVE_MS} ms / 0 ms: ${(results[WAVE_MS] / results[0]).toFixed(2)}; per change: +${((results[WAVE_MS] - results[0]) / n).toFixed(1)} ms`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
