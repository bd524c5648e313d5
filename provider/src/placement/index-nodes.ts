/**
 * The parts of the candidate index (candidate-index.ts) that do not depend on how candidates are
 * ordered: the aggregates of a bucket or leaf ("node"), the upper bound of any member's score
 * they give for a demand, and the queue that visits nodes best bound first.
 */
import { DIMENSIONS } from "../domain/resources";
import { SCORE_MAX } from "./scorers";
import type { Candidate, Strategy } from "./types";

export const DIMS = DIMENSIONS.length;

/** Aggregates of the members of one node that have capacity in the same dimensions. */
export interface Signature {
  /** Bitmask of the dimensions (index in DIMENSIONS) with capacity > 0. */
  readonly mask: number;
  /** Ranges of the mean and of the standard deviation of utilisation, now. */
  maxMean: number;
  minMean: number;
  minStd: number;
  maxStd: number;
}

/** A bucket (with leaves) or a leaf: its members and their aggregates per dimension (index in DIMENSIONS). */
export interface Node {
  readonly members: readonly number[];
  readonly leaves: readonly Node[];
  /** Most free room (capacity - allocated) of any member. */
  readonly maxFree: number[];
  /** Range of 1/capacity over members with capacity > 0. */
  readonly minInv: number[];
  readonly maxInv: number[];
  signatures: Signature[];
}

/** Buckets of candidates in the order of one key, with the bucket and leaf of each candidate. */
export interface Ordering {
  readonly buckets: Node[];
  readonly bucketOf: Int32Array;
  readonly leafOf: Int32Array;
}

/** Utilisation profile of one candidate, now: dimensions with capacity, mean and population standard deviation. */
export interface Profile {
  readonly mask: number;
  readonly mean: number;
  readonly std: number;
}

export function profile(c: Candidate): Profile {
  const k = c.capacity;
  const a = c.allocated;
  // Same dimensions and order as the scorers' utilisationAfter, without the demand.
  const u = [k.cpu > 0 ? a.cpu / k.cpu : NaN, k.memory > 0 ? a.memory / k.memory : NaN, k.storage > 0 ? a.storage / k.storage : NaN, k.gpus > 0 ? a.gpus / k.gpus : NaN];
  let mask = 0;
  let n = 0;
  let sum = 0;
  for (let j = 0; j < DIMS; j++) {
    if (Number.isNaN(u[j]!)) continue;
    mask |= 1 << j;
    n++;
    sum += u[j]!;
  }
  const mean = n ? sum / n : 0;
  let sq = 0;
  for (let j = 0; j < DIMS; j++) if (mask & (1 << j)) sq += (u[j]! - mean) ** 2;
  return { mask, mean, std: n > 1 ? Math.sqrt(sq / n) : 0 };
}

export function node(members: readonly number[], leaves: readonly Node[] = []): Node {
  // Plain arrays, not Float64Array: a typed array per node is an ArrayBuffer each, and building makes thousands.
  return { members, leaves, maxFree: [0, 0, 0, 0], minInv: [0, 0, 0, 0], maxInv: [0, 0, 0, 0], signatures: [] };
}

/** Some member of `n` may have room for `demand` (free room >= demand in every dimension). */
export function room(n: Node, demand: readonly number[]): boolean {
  for (let j = 0; j < DIMS; j++) if (n.maxFree[j]! < demand[j]!) return false;
  return true;
}

/**
 * Upper bound (ppm, widened) of the score of any member of `n` for `demand`. With u the
 * utilisation now and δ_j = demand_j / capacity_j, the score looks at u + δ:
 *  - binpack, mean(u + δ) = mean(u) + mean(δ) <= maxMean + mean(demand_j * maxInv_j);
 *  - spread, 1 - mean(u + δ) <= 1 - minMean - mean(demand_j * minInv_j);
 *  - balanced, 1 - std(u + δ) <= 1 - |std(u) - std(δ)| (the standard deviation is a norm of the
 *    centred vector). When every member has the same capacities δ is known exactly, so
 *    std(u + δ) >= max(minStd - std(δ), std(δ) - maxStd); otherwise only std(δ) <= root mean
 *    square of demand_j * maxInv_j is known, and std(u + δ) >= minStd - that.
 */
export function bound(n: Node, strategy: Strategy, demand: readonly number[]): number {
  let best = -Infinity;
  for (const sig of n.signatures) {
    let k = 0;
    let up = 0;
    let low = 0;
    let square = 0;
    let uniform = true;
    for (let j = 0; j < DIMS; j++) {
      if (!(sig.mask & (1 << j))) continue;
      k++;
      up += demand[j]! * n.maxInv[j]!;
      low += demand[j]! * n.minInv[j]!;
      square += (demand[j]! * n.maxInv[j]!) ** 2;
      if (n.minInv[j] !== n.maxInv[j]) uniform = false;
    }
    let x: number;
    if (k === 0) x = strategy === "binpack" ? 0 : 1;
    else if (strategy === "binpack") x = sig.maxMean + up / k;
    else if (strategy === "spread") x = 1 - sig.minMean - low / k;
    else if (k === 1) x = 1;
    else if (!uniform) x = 1 - Math.max(0, sig.minStd - Math.sqrt(square / k));
    else {
      // Exact δ (minInv = maxInv): its population standard deviation.
      const mean = up / k;
      let sq = 0;
      for (let j = 0; j < DIMS; j++) if (sig.mask & (1 << j)) sq += (demand[j]! * n.maxInv[j]! - mean) ** 2;
      const sd = Math.sqrt(sq / k);
      x = 1 - Math.max(0, sig.minStd - sd, sd - sig.maxStd);
    }
    if (x > best) best = x;
  }
  return Math.round(best * SCORE_MAX) + 1;
}

/** A max-heap of nodes by bound (a binary heap: a request pushes a few hundred nodes). */
export class BoundQueue {
  private readonly nodes: Node[] = [];
  private readonly bounds: number[] = [];

  get size(): number {
    return this.nodes.length;
  }

  topBound(): number {
    return this.bounds[0]!;
  }

  push(n: Node, ub: number): void {
    let i = this.nodes.length;
    this.nodes.push(n);
    this.bounds.push(ub);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.bounds[parent]! >= ub) break;
      this.nodes[i] = this.nodes[parent]!;
      this.bounds[i] = this.bounds[parent]!;
      i = parent;
    }
    this.nodes[i] = n;
    this.bounds[i] = ub;
  }

  pop(): Node {
    const top = this.nodes[0]!;
    const n = this.nodes.pop()!;
    const ub = this.bounds.pop()!;
    const size = this.nodes.length;
    if (size === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && this.bounds[child + 1]! > this.bounds[child]!) child++;
      if (this.bounds[child]! <= ub) break;
      this.nodes[i] = this.nodes[child]!;
      this.bounds[i] = this.bounds[child]!;
      i = child;
    }
    this.nodes[i] = n;
    this.bounds[i] = ub;
    return top;
  }
}
