/**
 * The placement decision: filter, score, pick. Pure: a snapshot of candidates and a request in,
 * a verdict out; the same input (in any candidate order) always gives the same verdict.
 */
import { OtterscaleError } from "../domain/errors";
import { domainValue } from "./domains";
import { bindFilters, firstFailure, runFilters, type CandidateFilter } from "./filters";
import { domainPlural, plural } from "./messages";
import { SCORERS, type Scorer } from "./scorers";
import type { Candidate, PlacementRequest, PlacementVerdict, Rejection, Unplaceable } from "./types";

/** A candidate that passed every filter, with its score (mutable: updated in place per domain). */
interface Scored {
  c: Candidate;
  score: number;
}

/** Higher score first; equal scores by server name ascending (code-unit order, locale-free). */
export function better(scoreA: number, nameA: string, scoreB: number, nameB: string): boolean {
  return scoreA > scoreB || (scoreA === scoreB && nameA < nameB);
}

/** Rejections are sorted by server name so the verdict does not depend on candidate order. */
function unplaceable(request: PlacementRequest, why: string, rejections: Rejection[]): Unplaceable {
  rejections.sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
  return { ok: false, message: `no server can host ${request.consumer}: ${why}`, rejections };
}

/** Malformed requests are bugs in the caller (the engine validates user input first). */
export function checkRequest(request: PlacementRequest): Scorer {
  if (!Number.isInteger(request.replicas) || request.replicas < 1) {
    throw new OtterscaleError("invalid_input", `placement of ${request.consumer}: replicas must be an integer >= 1, got ${request.replicas}`);
  }
  const scorer = Object.hasOwn(SCORERS, request.strategy) ? SCORERS[request.strategy] : undefined;
  if (scorer === undefined) {
    throw new OtterscaleError(
      "invalid_input",
      `placement of ${request.consumer}: unknown strategy "${request.strategy}" (use ${Object.keys(SCORERS).join(", ")})`,
    );
  }
  return scorer;
}

/**
 * The rejections of every candidate that fails a filter, worded only now that a verdict needs
 * them (the selection passes call the allocation-free `fits` alone).
 */
function explainRejections(candidates: readonly Candidate[], filters: readonly CandidateFilter[]): Rejection[] {
  const rejections: Rejection[] = [];
  for (const c of candidates) {
    const r = runFilters(filters, c);
    if (r !== undefined) rejections.push(r);
  }
  return rejections;
}

/** Single replica: one linear pass keeping the best candidate so far (no sort, no allocation). */
function placeOne(candidates: readonly Candidate[], request: PlacementRequest, filters: readonly CandidateFilter[], score: Scorer): PlacementVerdict {
  let best: Candidate | undefined;
  let bestScore = -Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (firstFailure(filters, c) >= 0) continue;
    const s = score(c, request.demand);
    if (best === undefined || better(s, c.name, bestScore, best.name)) {
      best = c;
      bestScore = s;
    }
  }
  if (best !== undefined) return { ok: true, servers: [best.name] };
  const rejections = explainRejections(candidates, filters);
  return unplaceable(request, `${plural(rejections.length, "candidate")} rejected`, rejections);
}

/**
 * The `k` best (candidate, score) pairs offered, best first: insertion into a k-long list, as k
 * is a replica count. Only pairs that enter the list are allocated.
 */
class TopK {
  readonly items: Scored[] = [];
  constructor(private readonly k: number) {}

  offer(c: Candidate, score: number): void {
    const top = this.items;
    if (top.length === this.k) {
      const last = top[this.k - 1]!;
      if (!better(score, c.name, last.score, last.c.name)) return;
      top.pop();
    }
    let i = top.length;
    while (i > 0 && better(score, c.name, top[i - 1]!.score, top[i - 1]!.c.name)) i--;
    top.splice(i, 0, { c, score });
  }
}

/**
 * Several replicas, each in a distinct `distinctDomain` value: keep the best server of each
 * domain, then take the best domains (ranked by their best server) greedily. With the server
 * domain every candidate is its own domain (names are unique in a group), so the best k
 * candidates are kept directly.
 */
function placeMany(candidates: readonly Candidate[], request: PlacementRequest, filters: readonly CandidateFilter[], score: Scorer): PlacementVerdict {
  const { replicas, distinctDomain, demand } = request;
  const top = new TopK(replicas);
  let domains = 0;
  if (distinctDomain === "server") {
    for (const c of candidates) {
      if (firstFailure(filters, c) >= 0) continue;
      domains++;
      top.offer(c, score(c, demand));
    }
  } else {
    const bestPerDomain = new Map<string, Scored>();
    for (const c of candidates) {
      if (firstFailure(filters, c) >= 0) continue;
      // The failure-domain filter rejected servers without a value, so this is defined.
      const key = domainValue(c, distinctDomain)!;
      const s = score(c, demand);
      const current = bestPerDomain.get(key);
      if (current === undefined) bestPerDomain.set(key, { c, score: s });
      else if (better(s, c.name, current.score, current.c.name)) {
        current.c = c;
        current.score = s;
      }
    }
    domains = bestPerDomain.size;
    for (const e of bestPerDomain.values()) top.offer(e.c, e.score);
  }
  if (domains < replicas) {
    const rejections = explainRejections(candidates, filters);
    const why =
      `needs ${replicas} distinct ${domainPlural(distinctDomain)}, only ${domains} fit; ` +
      `${plural(rejections.length, "candidate")} rejected`;
    return unplaceable(request, why, rejections);
  }
  return { ok: true, servers: top.items.map((e) => e.c.name) };
}

/**
 * Chooses servers for a request among a group's member servers.
 *
 * Filters (pinned, maintenance, racks, zones, failure-domain, anti-affinity, capacity, gpu-model)
 * reject candidates with reasons; the strategy's scorer ranks the rest; ties go to the smaller
 * server name. With `replicas > 1`, each replica lands in a distinct `distinctDomain` value.
 *
 * Example (binpack, demand 2 cores / 2 GiB, no storage or GPUs on the servers):
 * - s1 {8 cores, 8 GiB}, allocated {6, 6}: after = (8/8 + 8/8) / 2 = 1.0
 * - s2 {8 cores, 8 GiB}, allocated {2, 2}: after = (4/8 + 4/8) / 2 = 0.5
 * - s3 {8 cores, 8 GiB}, allocated {7, 0}: cpu 7 + 2 > 8 -> rejected (capacity)
 * -> `{ok: true, servers: ["s1"]}`; spread would pick s2.
 *
 * Unplaceable verdicts carry one line (`no server can host virtual_machine acme/web: 3 candidates
 * rejected`) and one Rejection per rejected candidate (its first failing filter), by server name.
 */
export function place(candidates: readonly Candidate[], request: PlacementRequest): PlacementVerdict {
  const score = checkRequest(request);
  if (candidates.length === 0) return unplaceable(request, "the group has no member servers", []);
  const { pinned } = request;
  if (pinned !== undefined && !candidates.some((c) => c.name === pinned)) {
    return unplaceable(request, `pinned server ${pinned} is not a member of the group`, []);
  }
  const filters = bindFilters(request);
  return request.replicas === 1
    ? placeOne(candidates, request, filters, score)
    : placeMany(candidates, request, filters, score);
}
