/**
 * Score plugins, one per strategy, picked from a registry by name (like the Kubernetes
 * NodeResourcesFit strategies MostAllocated / LeastAllocated and BalancedAllocation).
 *
 * Every scorer looks at the utilisation a candidate WOULD have after taking the demand, per
 * dimension with capacity > 0 (a dimension the server does not have - no GPUs - is skipped, which
 * also guards the division). Scores are integers in parts per million, higher is better: the
 * quantisation makes floating-point noise (0.1 + 0.2 vs 0.3) a tie, and ties are broken by
 * server name, so placement never depends on candidate order.
 */
import type { Resources } from "../domain/resources";
import type { Candidate, Strategy } from "./types";

/** Score of a candidate for a demand: an integer in [0, SCORE_MAX], higher is better. */
export type Scorer = (c: Candidate, demand: Resources) => number;

export const SCORE_MAX = 1_000_000;

/**
 * Post-placement utilisation of each dimension with capacity > 0, written into `out`
 * (a caller-owned scratch buffer, so the hot loop allocates nothing); returns how many.
 *
 * Example: capacity {cpu 8, memory 32, storage 0, gpus 0}, allocated {6, 8}, demand {2, 8}
 * -> out = [(6+2)/8 = 1.0, (8+8)/32 = 0.5], returns 2.
 */
export function utilisationAfter(c: Candidate, d: Resources, out: Float64Array): number {
  const a = c.allocated;
  const k = c.capacity;
  let n = 0;
  if (k.cpu > 0) out[n++] = (a.cpu + d.cpu) / k.cpu;
  if (k.memory > 0) out[n++] = (a.memory + d.memory) / k.memory;
  if (k.storage > 0) out[n++] = (a.storage + d.storage) / k.storage;
  if (k.gpus > 0) out[n++] = (a.gpus + d.gpus) / k.gpus;
  return n;
}

// Scratch buffer shared by the scorers: scoring is synchronous, so no two calls overlap.
const scratch = new Float64Array(4);

/** Mean post-placement utilisation (0 for a server with no capacity at all). */
export function meanUtilisation(c: Candidate, d: Resources): number {
  const n = utilisationAfter(c, d, scratch);
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += scratch[i]!;
  return sum / n;
}

/** Population standard deviation of post-placement utilisation across dimensions. */
export function utilisationStdDev(c: Candidate, d: Resources): number {
  const n = utilisationAfter(c, d, scratch);
  if (n <= 1) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += scratch[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (scratch[i]! - mean) ** 2;
  return Math.sqrt(sq / n);
}

const ppm = (x: number): number => Math.round(x * SCORE_MAX);

/**
 * binpack (MostAllocated): the fullest server after placement wins, keeping others empty.
 *
 * Example: demand 2 cores; s1 8 cores with 6 allocated -> (6+2)/8 = 1.0 -> 1,000,000;
 * s2 16 cores with 6 allocated -> (6+2)/16 = 0.5 -> 500,000. s1 wins.
 */
export const binpackScorer: Scorer = (c, d) => ppm(meanUtilisation(c, d));

/**
 * spread (LeastAllocated): the emptiest server after placement wins.
 *
 * Example: same servers as binpack -> s1 1 - 1.0 = 0; s2 1 - 0.5 = 0.5 -> 500,000. s2 wins.
 */
export const spreadScorer: Scorer = (c, d) => ppm(1 - meanUtilisation(c, d));

/**
 * balanced (BalancedAllocation): the server whose dimensions end up most evenly used wins.
 *
 * Example: demand {2 cores, 4 GiB}; s1 {8 cores, 16 GiB} empty -> utils [0.25, 0.25], stddev 0
 * -> 1,000,000; s2 {4 cores, 32 GiB} empty -> [0.5, 0.125], stddev 0.1875 -> 812,500. s1 wins.
 */
export const balancedScorer: Scorer = (c, d) => ppm(1 - utilisationStdDev(c, d));

/** The scorer registry: strategy name -> scorer. */
export const SCORERS: Readonly<Record<Strategy, Scorer>> = {
  binpack: binpackScorer,
  spread: spreadScorer,
  balanced: balancedScorer,
};
