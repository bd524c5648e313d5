/**
 * Resource quantities in fixed point. Every dimension is stored as an integer number of
 * thousandths (millicores, milli-GiB, milli-GPUs) so that sums over thousands of fractional
 * allocations stay exact in the ledger and in quota arithmetic.
 *
 * Example: 0.5 cores -> 500; 1.25 GiB -> 1250; 2 GPUs -> 2000.
 */
export const SCALE = 1000;

export const DIMENSIONS = ["cpu", "memory", "storage", "gpus"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Amounts per dimension, in thousandths. */
export type Resources = Record<Dimension, number>;

/** User-facing attribute name of a dimension (same in quotas, servers and groups). */
export const DIMENSION_ATTRIBUTE: Record<Dimension, string> = {
  cpu: "cpu_cores",
  memory: "memory_gib",
  storage: "storage_gib",
  gpus: "gpus",
};

export const toMilli = (x: number): number => Math.round(x * SCALE);
export const fromMilli = (m: number): number => m / SCALE;

export const ZERO: Resources = Object.freeze({ cpu: 0, memory: 0, storage: 0, gpus: 0 });

export function resources(cores = 0, memoryGib = 0, storageGib = 0, gpus = 0): Resources {
  return { cpu: toMilli(cores), memory: toMilli(memoryGib), storage: toMilli(storageGib), gpus: toMilli(gpus) };
}

export function add(a: Resources, b: Resources): Resources {
  return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory, storage: a.storage + b.storage, gpus: a.gpus + b.gpus };
}

export function sub(a: Resources, b: Resources): Resources {
  return { cpu: a.cpu - b.cpu, memory: a.memory - b.memory, storage: a.storage - b.storage, gpus: a.gpus - b.gpus };
}

export function scale(a: Resources, k: number): Resources {
  return { cpu: a.cpu * k, memory: a.memory * k, storage: a.storage * k, gpus: a.gpus * k };
}

export function isZero(a: Resources): boolean {
  return DIMENSIONS.every((d) => a[d] === 0);
}

/** Human form of an amount in a dimension: `4`, `0.5`. */
export function formatAmount(milli: number): string {
  return String(fromMilli(milli));
}
