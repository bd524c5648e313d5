/**
 * Single-replica placement over very large groups (100,000 servers) without scoring every server,
 * with exactly the verdict of the plain scan (`place`).
 *
 * The candidates are sorted by size, then by how full they are (mean utilisation, for binpack and
 * spread) or how unevenly (standard deviation of utilisation, for balanced), cut into buckets of a
 * few hundred, and each bucket into leaves of a few dozen. Every bucket and leaf keeps, per
 * dimension, the most free room of its members (a request that fits none of them skips it), the
 * range of `1 / capacity`, and the range of the mean and standard deviation of utilisation, from
 * which an upper bound of any member's score for a given demand follows (the scorers only look at
 * the utilisation after placement, `allocated / capacity + demand / capacity` per dimension).
 * Multi-replica and pinned requests run the plain scan.
 *
 * A request visits the buckets best bound first, in each the leaves best bound first, scores their
 * members exactly as the scan does, and skips any bucket or leaf whose bound is below the best
 * score found: none of its members could win (a tie could, by name, so ties are still visited).
 * Leaves matter for large requests: a bucket of nearly full servers may have a high bound and one
 * member with room, and only that member's leaf is then scored.
 *
 * Example (binpack, demand 2 cores): bucket A holds servers 90-95 % full, bound 0.97; bucket B
 * servers 10-20 % full, bound 0.31. A's best member scores 0.94 > 0.31: B is never scored.
 *
 * Bounds are widened by one part per million so floating-point rounding can never prune a
 * winner. When nothing fits the plain scan runs, so refusals carry the very same rejections.
 */
import { DIMENSIONS } from "../domain/resources";
import { bindFilters, firstFailure } from "./filters";
import { BoundQueue, bound, DIMS, node, profile, room, type Node, type Ordering, type Profile, type Signature } from "./index-nodes";
import { better, checkRequest, place } from "./place";
import type { Candidate, PlacementRequest, PlacementVerdict } from "./types";

/** The order of the capacities (by dimension), so that servers of one size are contiguous. */
function bySize(a: Candidate, b: Candidate): number {
  for (const d of DIMENSIONS) if (a.capacity[d] !== b.capacity[d]) return a.capacity[d] - b.capacity[d];
  return 0;
}

export class CandidateIndex {
  /** The candidates, as `place` would be given them (updated in place by `update`). */
  readonly candidates: Candidate[];
  private readonly profiles: Profile[];
  /** Per candidate i and dimension j, at i * DIMS + j: free room and 1/capacity (0 without capacity). */
  private readonly free: Float64Array;
  private readonly inv: Float64Array;
  /** By size, then mean utilisation (binpack, spread). */
  private byMean?: Ordering;
  /** By size, then standard deviation of utilisation (balanced). */
  private byStd?: Ordering;
  /** Builds an ordering by size then the given profile value (each is built on first use: a group placed only by binpack never sorts by deviation). */
  private readonly build: (value: (p: Profile) => number) => Ordering;
  private readonly position = new Map<string, number>();

  constructor(candidates: readonly Candidate[], bucketSize = 256, leafSize = 16) {
    this.candidates = [...candidates];
    this.candidates.forEach((c, i) => this.position.set(c.name, i));
    this.profiles = this.candidates.map(profile);
    this.free = new Float64Array(this.candidates.length * DIMS);
    this.inv = new Float64Array(this.candidates.length * DIMS);
    this.candidates.forEach((c, i) => this.measure(c, i));
    const leaf = Math.max(1, Math.min(leafSize, bucketSize));
    // Servers of one size together: 1/capacity is then one value per bucket (tight bounds, an
    // exact δ for balanced) and a full bucket has little room (skipped by big requests).
    const sizeKey = (c: Candidate) => `${c.capacity.cpu},${c.capacity.memory},${c.capacity.storage},${c.capacity.gpus}`;
    const sizes = new Map<string, Candidate>();
    const keys = this.candidates.map(sizeKey);
    keys.forEach((k, i) => sizes.has(k) || sizes.set(k, this.candidates[i]!));
    const sizeRank = new Map([...sizes].sort(([, a], [, b]) => bySize(a, b)).map(([k], r) => [k, r]));
    const rank = Int32Array.from(keys, (k) => sizeRank.get(k)!);
    this.build = (value) => {
      const v = Float64Array.from(this.profiles, value);
      return this.order((a, b) => rank[a]! - rank[b]! || v[a]! - v[b]!, bucketSize, leaf);
    };
  }

  /** Replaces the candidate of the same name (its allocation changed); it keeps its buckets. */
  update(c: Candidate): void {
    const i = this.position.get(c.name);
    if (i === undefined) throw new Error(`candidate index: no server ${c.name}`);
    this.candidates[i] = c;
    this.profiles[i] = profile(c);
    this.measure(c, i);
    for (const o of [this.byMean, this.byStd]) {
      if (o === undefined) continue;
      const bucket = o.buckets[o.bucketOf[i]!]!;
      this.refresh(bucket.leaves[o.leafOf[i]!]!);
      this.refresh(bucket);
    }
  }

  /** How many distinct server names the index holds. */
  get size(): number {
    return this.position.size;
  }

  /** The candidate the index holds under this name. */
  get(name: string): Candidate | undefined {
    const i = this.position.get(name);
    return i === undefined ? undefined : this.candidates[i];
  }

  /** Exactly `place(this.candidates, request)`, scoring only the leaves that can win. */
  place(request: PlacementRequest): PlacementVerdict {
    if (request.replicas !== 1 || request.pinned !== undefined || this.candidates.length === 0) {
      return place(this.candidates, request);
    }
    const score = checkRequest(request);
    const filters = bindFilters(request);
    const demand = DIMENSIONS.map((d) => request.demand[d]);
    const { strategy } = request;
    const ordering = strategy === "balanced" ? (this.byStd ??= this.build((p) => p.std)) : (this.byMean ??= this.build((p) => p.mean));
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    // Best bound first over buckets and leaves alike: a bucket popped puts its leaves in the queue.
    const queue = new BoundQueue();
    for (const b of ordering.buckets) if (room(b, demand)) queue.push(b, bound(b, strategy, demand));
    while (queue.size > 0) {
      const ub = queue.topBound();
      if (best !== undefined && ub < bestScore) break; // nothing left in the queue can win
      const n = queue.pop();
      if (n.leaves.length) {
        for (const leaf of n.leaves) if (room(leaf, demand)) queue.push(leaf, bound(leaf, strategy, demand));
        continue;
      }
      for (const m of n.members) {
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

  private order(compare: (a: number, b: number) => number, bucketSize: number, leafSize: number): Ordering {
    const order = this.candidates.map((_, i) => i).sort(compare);
    const o: Ordering = { buckets: [], bucketOf: new Int32Array(order.length), leafOf: new Int32Array(order.length) };
    for (let s = 0; s < order.length; s += bucketSize) {
      const members = order.slice(s, s + bucketSize);
      const leaves: Node[] = [];
      for (let l = 0; l < members.length; l += leafSize) {
        const leaf = node(members.slice(l, l + leafSize));
        for (const m of leaf.members) {
          o.bucketOf[m] = o.buckets.length;
          o.leafOf[m] = leaves.length;
        }
        this.refresh(leaf);
        leaves.push(leaf);
      }
      const bucket = node(members, leaves);
      this.refresh(bucket);
      o.buckets.push(bucket);
    }
    return o;
  }

  /** Caches the free room and 1/capacity of candidate `i` (named properties: the hot loops then read typed arrays). */
  private measure(c: Candidate, i: number): void {
    const k = c.capacity;
    const a = c.allocated;
    const at = i * DIMS;
    const caps = [k.cpu, k.memory, k.storage, k.gpus];
    const used = [a.cpu, a.memory, a.storage, a.gpus];
    for (let j = 0; j < DIMS; j++) {
      this.free[at + j] = caps[j]! - used[j]!;
      this.inv[at + j] = caps[j]! > 0 ? 1 / caps[j]! : 0;
    }
  }

  /** Recomputes the aggregates of a leaf from its members, or of a bucket from its leaves (plain loops: building runs it for every leaf). */
  private refresh(n: Node): void {
    const { maxFree, minInv, maxInv } = n;
    maxFree.fill(-Infinity);
    minInv.fill(Infinity);
    maxInv.fill(-Infinity);
    const sigs: Signature[] = [];
    const merge = (mask: number, maxMean: number, minMean: number, minStd: number, maxStd: number) => {
      for (const sig of sigs) {
        if (sig.mask !== mask) continue;
        if (maxMean > sig.maxMean) sig.maxMean = maxMean;
        if (minMean < sig.minMean) sig.minMean = minMean;
        if (minStd < sig.minStd) sig.minStd = minStd;
        if (maxStd > sig.maxStd) sig.maxStd = maxStd;
        return;
      }
      sigs.push({ mask, maxMean, minMean, minStd, maxStd });
    };
    if (n.leaves.length) {
      for (const leaf of n.leaves) {
        for (let j = 0; j < DIMS; j++) {
          if (leaf.maxFree[j]! > maxFree[j]!) maxFree[j] = leaf.maxFree[j]!;
          if (leaf.minInv[j]! < minInv[j]!) minInv[j] = leaf.minInv[j]!;
          if (leaf.maxInv[j]! > maxInv[j]!) maxInv[j] = leaf.maxInv[j]!;
        }
        for (const s of leaf.signatures) merge(s.mask, s.maxMean, s.minMean, s.minStd, s.maxStd);
      }
    } else {
      const { free, inv } = this;
      for (const m of n.members) {
        const p = this.profiles[m]!;
        merge(p.mask, p.mean, p.mean, p.std, p.std);
        for (let j = 0; j < DIMS; j++) {
          const f = free[m * DIMS + j]!;
          if (f > maxFree[j]!) maxFree[j] = f;
          const x = inv[m * DIMS + j]!;
          if (x === 0) continue; // no capacity in this dimension
          if (x < minInv[j]!) minInv[j] = x;
          if (x > maxInv[j]!) maxInv[j] = x;
        }
      }
    }
    n.signatures = sigs;
  }
}
