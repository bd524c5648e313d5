/**
 * Single-replica placement over very large groups (100,000 servers) without scoring every server,
 * with exactly the verdict of the plain scan (`place`).
 *
 * The candidates are sorted by size, then by how full they are (mean utilisation), and cut into buckets of a few
 * hundred. Each bucket keeps, per dimension, the most free room of its members (a request that
 * fits none of them skips the bucket), the range of `1 / capacity`, and the range of the mean
 * utilisation, from which an upper bound of any member's score for a given demand follows (the
 * scorers only look at the utilisation after placement, `allocated / capacity + demand /
 * capacity` per dimension). binpack and spread use it; balanced (a standard deviation, bounded
 * too loosely to prune) and multi-replica requests run the plain scan.
 * A request visits the buckets best bound first, scores their members exactly as the scan does,
 * and stops at the first bucket whose bound is below the best score found: no member of it, nor
 * of any later bucket, could win (a tie could, by name, so ties are still visited).
 *
 * Example (binpack, demand 2 cores): bucket A holds servers 90-95 % full, bound 0.97; bucket B
 * servers 10-20 % full, bound 0.31. A's best member scores 0.94 > 0.31: B is never scored.
 *
 * Bounds are widened by one part per million so floating-point rounding can never prune a
 * winner. When nothing fits (or for pinned and multi-replica requests) the plain scan runs, so
 * refusals carry the very same rejections.
 */
import { DIMENSIONS } from "../domain/resources";
import { bindFilters, firstFailure } from "./filters";
import { better, checkRequest, place } from "./place";
import { SCORE_MAX } from "./scorers";
import type { Candidate, PlacementRequest, PlacementVerdict, Strategy } from "./types";

const DIMS = DIMENSIONS.length;

/** Aggregates of the members of one bucket that have capacity in the same dimensions. */
interface Signature {
  /** Bitmask of the dimensions (index in DIMENSIONS) with capacity > 0. */
  readonly mask: number;
  /** Range of the mean utilisation, and the least standard deviation of utilisation, now. */
  maxMean: number;
  minMean: number;
  minStd: number;
}

/** Per-bucket aggregates, per dimension (index in DIMENSIONS). */
interface Bucket {
  readonly members: number[];
  /** Most free room (capacity - allocated) of any member. */
  readonly maxFree: Float64Array;
  /** Range of 1/capacity over members with capacity > 0. */
  readonly minInv: Float64Array;
  readonly maxInv: Float64Array;
  signatures: Signature[];
}

/** Utilisation (allocated / capacity) of each dimension with capacity, its mask, mean and population standard deviation. */
function profile(c: Candidate): { mask: number; mean: number; std: number } {
  let mask = 0;
  const u: number[] = [];
  DIMENSIONS.forEach((d, j) => {
    if (c.capacity[d] > 0) {
      mask |= 1 << j;
      u.push(c.allocated[d] / c.capacity[d]);
    }
  });
  const n = u.length;
  const mean = n ? u.reduce((a, b) => a + b, 0) / n : 0;
  const std = n > 1 ? Math.sqrt(u.reduce((s, x) => s + (x - mean) ** 2, 0) / n) : 0;
  return { mask, mean, std };
}

function emptyBucket(members: number[]): Bucket {
  return { members, maxFree: new Float64Array(DIMS), minInv: new Float64Array(DIMS), maxInv: new Float64Array(DIMS), signatures: [] };
}

/**
 * Upper bound (ppm, widened) of the score of any member of `b` for `demand`. With u the
 * utilisation now and δ_j = demand_j / capacity_j, the score looks at u + δ:
 *  - binpack, mean(u + δ) = mean(u) + mean(δ) <= maxMean + mean(demand_j * maxInv_j);
 *  - spread, 1 - mean(u + δ) <= 1 - minMean - mean(demand_j * minInv_j);
 *  - balanced, 1 - std(u + δ) <= 1 - (std(u) - std(δ)) (the standard deviation is a norm), and
 *    std(δ) <= root mean square of demand_j * maxInv_j.
 */
function bound(b: Bucket, strategy: Strategy, demand: readonly number[]): number {
  let best = -Infinity;
  for (const sig of b.signatures) {
    let n = 0;
    let up = 0;
    let low = 0;
    let square = 0;
    for (let j = 0; j < DIMS; j++) {
      if (!(sig.mask & (1 << j))) continue;
      n++;
      up += demand[j]! * b.maxInv[j]!;
      low += demand[j]! * b.minInv[j]!;
      square += (demand[j]! * b.maxInv[j]!) ** 2;
    }
    const x =
      n === 0
        ? strategy === "binpack"
          ? 0
          : 1
        : strategy === "binpack"
          ? sig.maxMean + up / n
          : strategy === "spread"
            ? 1 - sig.minMean - low / n
            : n === 1
              ? 1
              : 1 - Math.max(0, sig.minStd - Math.sqrt(square / n));
    best = Math.max(best, x);
  }
  return Math.round(best * SCORE_MAX) + 1;
}

/** Buckets of candidates in the order of one key, with the bucket of each candidate. */
interface Ordering {
  readonly buckets: Bucket[];
  readonly bucketOf: Int32Array;
}

export class CandidateIndex {
  /** The candidates, as `place` would be given them (updated in place by `update`). */
  readonly candidates: Candidate[];
  /** By size, then mean utilisation. */
  private readonly byMean: Ordering;
  private readonly position = new Map<string, number>();

  constructor(candidates: readonly Candidate[], bucketSize = 256) {
    this.candidates = [...candidates];
    this.candidates.forEach((c, i) => this.position.set(c.name, i));
    const mean = this.candidates.map((c) => profile(c).mean);
    // Servers of one size together, by mean utilisation within a size: 1/capacity is then one
    // value per bucket (tight bounds) and a full bucket has little room (skipped by big requests).
    const size = (c: Candidate) => [c.capacity.cpu, c.capacity.memory, c.capacity.storage, c.capacity.gpus];
    this.byMean = this.order((a, b) => {
      const x = size(this.candidates[a]!);
      const y = size(this.candidates[b]!);
      for (let j = 0; j < DIMS; j++) if (x[j] !== y[j]) return x[j]! - y[j]!;
      return mean[a]! - mean[b]!;
    }, bucketSize);
  }

  /** Replaces the candidate of the same name (its allocation changed); it keeps its buckets. */
  update(c: Candidate): void {
    const i = this.position.get(c.name);
    if (i === undefined) throw new Error(`candidate index: no server ${c.name}`);
    this.candidates[i] = c;
    this.refresh(this.byMean.buckets[this.byMean.bucketOf[i]!]!);
  }

  /** Exactly `place(this.candidates, request)`, scoring only the buckets that can win. */
  place(request: PlacementRequest): PlacementVerdict {
    // balanced is not bounded tightly enough to prune (see `bound`): the plain scan decides it.
    if (request.replicas !== 1 || request.pinned !== undefined || request.strategy === "balanced" || this.candidates.length === 0) {
      return place(this.candidates, request);
    }
    const score = checkRequest(request);
    const filters = bindFilters(request);
    const demand = DIMENSIONS.map((d) => request.demand[d]);
    const ranked: { b: Bucket; ub: number }[] = [];
    for (const b of this.byMean.buckets) {
      if (DIMENSIONS.some((d, j) => b.maxFree[j]! < request.demand[d])) continue; // no member has room
      ranked.push({ b, ub: bound(b, request.strategy, demand) });
    }
    ranked.sort((x, y) => y.ub - x.ub);
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    for (const { b, ub } of ranked) {
      if (best !== undefined && ub < bestScore) break; // neither this bucket nor a later one can win
      for (const m of b.members) {
        const c = this.candidates[m]!;
        if (firstFailure(filters, c) >= 0) continue;
        const s = score(c, request.demand);
        if (best === undefined || better(s, c.name, bestScore, best.name)) {
          best = c;
          bestScore = s;
        }
      }
    }
    return best !== undefined ? { ok: true, servers: [best.name] } : place(this.candidates, request);
  }

  private order(compare: (a: number, b: number) => number, bucketSize: number): Ordering {
    const order = this.candidates.map((_, i) => i).sort(compare);
    const o: Ordering = { buckets: [], bucketOf: new Int32Array(this.candidates.length) };
    for (let s = 0; s < order.length; s += bucketSize) {
      const b = emptyBucket(order.slice(s, s + bucketSize));
      for (const m of b.members) o.bucketOf[m] = o.buckets.length;
      o.buckets.push(b);
      this.refresh(b);
    }
    return o;
  }

  private refresh(b: Bucket): void {
    b.maxFree.fill(-Infinity);
    b.minInv.fill(Infinity);
    b.maxInv.fill(-Infinity);
    const sigs = new Map<number, Signature>();
    for (const m of b.members) {
      const c = this.candidates[m]!;
      const p = profile(c);
      const sig = sigs.get(p.mask);
      if (!sig) sigs.set(p.mask, { mask: p.mask, maxMean: p.mean, minMean: p.mean, minStd: p.std });
      else {
        sig.maxMean = Math.max(sig.maxMean, p.mean);
        sig.minMean = Math.min(sig.minMean, p.mean);
        sig.minStd = Math.min(sig.minStd, p.std);
      }
      DIMENSIONS.forEach((d, j) => {
        const k = c.capacity[d];
        b.maxFree[j] = Math.max(b.maxFree[j]!, k - c.allocated[d]);
        if (k <= 0) return;
        b.minInv[j] = Math.min(b.minInv[j]!, 1 / k);
        b.maxInv[j] = Math.max(b.maxInv[j]!, 1 / k);
      });
    }
    b.signatures = [...sigs.values()];
  }
}
