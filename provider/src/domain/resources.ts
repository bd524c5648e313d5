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

/** The smallest amount the ledger stores, in user units: `0.001`. */
export const UNIT = 1 / SCALE;

/**
 * Float noise tolerated when an amount becomes thousandths, relative to the amount: `0.1 + 0.2`
 * is 300.00000000000006 thousandths, off by 2e-16 of itself. 1e-12 leaves room for the noise of a
 * few more operations yet refuses any deviation above 0.01 thousandths even at the schema's
 * largest amount (1e7 GiB = 1e10 thousandths). An absolute tolerance cannot do both: ajv's
 * `multipleOf` with 1e-9 accepted 1e-300 (charged as 0) and refused 8445578.55 for its noise.
 */
const NOISE = 1e-12;

/**
 * Whether `x` is a whole number of thousandths, up to float noise. The one rule for what the
 * ledger can store exactly; the schema's `x-quantity` keyword applies it to every input amount,
 * so `toMilli` only ever rounds away noise.
 *
 * Example: 1.25 -> true; 0.1 + 0.2 -> true; 1.0005 -> false; 0.0001 -> false; 1e-300 -> false.
 */
export function isWholeMilli(x: number): boolean {
  const m = x * SCALE;
  return Number.isFinite(m) && Math.abs(m - Math.round(m)) <= NOISE * Math.abs(m);
}

/** Thousandths of an amount; inputs are whole thousandths (see `isWholeMilli`), so this only rounds float noise. */
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
