/**
 * Packing under churn: VMs arrive and depart (a seeded stream: one arrival per step, each VM lives
 * an exponentially distributed number of steps), 12 shapes including two GPU shapes, on identical
 * GPU servers. Reported per strategy:
 *  - `lazy`: servers are added only when nothing fits; servers used at the peak against the lower
 *    bound at the peak (max over time and dimensions of ceil(live demand / per-server capacity));
 *  - `pool`: a fixed pool of ceil(1.10 x that peak bound); VMs refused, split into refusals the
 *    pool's total free room could have held (fragmentation) and refusals it could not.
 */
import { DIMENSIONS, resources, type Resources } from "../provider/src/domain/resources";
import { capacityOf, place, type Candidate, type PlacementRequest, type Strategy } from "../provider/src/placement";

/** [cores, memory GiB, disk GiB, a100 GPUs, weight] */
type ChurnShape = readonly [number, number, number, number, number];
export const CHURN_SHAPES: readonly ChurnShape[] = [
  [1, 2, 20, 0, 20],
  [2, 4, 40, 0, 20],
  [2, 8, 50, 0, 15],
  [4, 8, 80, 0, 12],
  [4, 16, 100, 0, 10],
  [8, 16, 100, 0, 6],
  [8, 32, 200, 0, 6],
  [16, 32, 400, 0, 3],
  [16, 64, 200, 0, 3],
  [2, 32, 50, 0, 2], // memory-heavy
  [8, 64, 200, 1, 3], // GPU
  [16, 128, 400, 2, 1], // GPU, large
];
const WEIGHT = CHURN_SHAPES.reduce((s, x) => s + x[4], 0);

export const CHURN_SERVER = { cpu_cores: 64, memory_gib: 512, storage_gib: 4000, gpus: [{ model: "a100", count: 4 }] } as const;

/** mulberry32 (same generator as placement.bench.ts). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Arrival {
  readonly demand: Resources;
  readonly gpus: boolean;
  readonly departs: number;
}

/** The seeded stream: one arrival per step, lifetimes exponential with mean `meanLife` steps. */
function stream(steps: number, meanLife: number, seed: number): Arrival[] {
  const rand = prng(seed);
  return Array.from({ length: steps }, (_, t) => {
    let r = rand() * WEIGHT;
    let shape = CHURN_SHAPES[0]!;
    for (const s of CHURN_SHAPES) if ((r -= s[4]) < 0) { shape = s; break; }
    const life = Math.max(1, Math.round(-Math.log(1 - rand()) * meanLife));
    return { demand: resources(shape[0], shape[1], shape[2], shape[3]), gpus: shape[3] > 0, departs: t + life };
  });
}

export interface ChurnFigures {
  readonly strategy: Strategy;
  readonly steps: number;
  readonly peakLive: number;
  readonly peakLowerBound: number;
  /** lazy: servers with allocations at the worst moment. */
  readonly peakUsed: number;
  readonly ratio: number;
  /** pool of ceil(1.10 x peakLowerBound): VMs refused though the pool's total free room could hold them. */
  readonly pool: number;
  readonly fragmentationRefusals: number;
  readonly capacityRefusals: number;
}

/** Runs the stream on a pool that grows (`lazy`) or is fixed at `fixed` servers; returns peak servers used and refusals. */
function run(arrivals: readonly Arrival[], strategy: Strategy, fixed?: number) {
  const cap = capacityOf(CHURN_SERVER);
  const pool: Candidate[] = [];
  const add = () =>
    pool.push({
      name: `node-${String(pool.length).padStart(4, "0")}`,
      hostname: `node-${pool.length}`,
      maintenance: false,
      capacity: cap.capacity,
      allocated: { cpu: 0, memory: 0, storage: 0, gpus: 0 },
      gpuModels: { a100: { capacity: cap.gpuModels.a100!, allocated: 0 } },
    });
  for (let i = 0; i < (fixed ?? 0); i++) add();
  const live: { at: number; demand: Resources; departs: number }[] = [];
  const move = (at: number, demand: Resources, sign: number) => {
    const c = pool[at]!;
    const allocated = { ...c.allocated };
    for (const d of DIMENSIONS) allocated[d] += sign * demand[d];
    const a100 = c.gpuModels.a100!;
    pool[at] = { ...c, allocated, gpuModels: { a100: { capacity: a100.capacity, allocated: a100.allocated + sign * demand.gpus } } };
  };
  let peakUsed = 0;
  let fragmentation = 0;
  let capacity = 0;
  arrivals.forEach((vm, t) => {
    for (let i = live.length - 1; i >= 0; i--) {
      if (live[i]!.departs <= t) {
        move(live[i]!.at, live[i]!.demand, -1);
        live.splice(i, 1);
      }
    }
    const req: PlacementRequest = { consumer: `virtual_machine bench/vm-${t}`, demand: vm.demand, gpuModel: vm.gpus ? "a100" : undefined, replicas: 1, distinctDomain: "server", strategy };
    let verdict = place(pool, req);
    if (!verdict.ok && fixed === undefined) {
      add();
      verdict = place(pool, req);
    }
    if (!verdict.ok) {
      const free = DIMENSIONS.every((d) => pool.reduce((s, c) => s + c.capacity[d] - c.allocated[d], 0) >= vm.demand[d]);
      if (free) fragmentation++;
      else capacity++;
      return;
    }
    const at = pool.findIndex((c) => c.name === verdict.servers[0]);
    move(at, vm.demand, 1);
    live.push({ at, demand: vm.demand, departs: vm.departs });
    peakUsed = Math.max(peakUsed, pool.filter((c) => c.allocated.cpu > 0).length);
  });
  return { peakUsed, fragmentation, capacity };
}

/** Peak live VMs and the peak lower bound of servers the stream needs (placement-independent). */
function lowerBound(arrivals: readonly Arrival[]): { peakLive: number; peakLowerBound: number } {
  const per = capacityOf(CHURN_SERVER).capacity;
  const total: Resources = { cpu: 0, memory: 0, storage: 0, gpus: 0 };
  const departures = new Map<number, Resources[]>();
  let live = 0;
  let peakLive = 0;
  let peak = 0;
  arrivals.forEach((vm, t) => {
    for (const d of departures.get(t) ?? []) {
      for (const k of DIMENSIONS) total[k] -= d[k];
      live--;
    }
    for (const k of DIMENSIONS) total[k] += vm.demand[k];
    live++;
    departures.set(vm.departs, [...(departures.get(vm.departs) ?? []), vm.demand]);
    peakLive = Math.max(peakLive, live);
    peak = Math.max(peak, ...DIMENSIONS.map((k) => (per[k] > 0 ? Math.ceil(total[k] / per[k]) : 0)));
  });
  return { peakLive, peakLowerBound: peak };
}

export function churn(strategy: Strategy, steps = 6_000, meanLife = 1_500, seed = 7): ChurnFigures {
  const arrivals = stream(steps, meanLife, seed);
  const { peakLive, peakLowerBound } = lowerBound(arrivals);
  const lazy = run(arrivals, strategy);
  const pool = Math.ceil(1.1 * peakLowerBound);
  const fixed = run(arrivals, strategy, pool);
  return {
    strategy,
    steps,
    peakLive,
    peakLowerBound,
    peakUsed: lazy.peakUsed,
    ratio: lazy.peakUsed / peakLowerBound,
    pool,
    fragmentationRefusals: fixed.fragmentation,
    capacityRefusals: fixed.capacity,
  };
}
