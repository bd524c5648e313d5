import assert from "node:assert/strict";
import fc from "fast-check";
import { DIMENSIONS } from "../../provider/src/domain/resources";
import {
  domainValue,
  place,
  SCORERS,
  type Candidate,
  type Domain,
  type PlacementRequest,
} from "../../provider/src/placement";

const MODELS = ["a100", "t4", "l4"] as const;
const RACKS = ["r0", "r1", "r2", "r3"];
const ZONES = ["z0", "z1", "z2"];
const DOMAINS: Domain[] = ["server", "rack", "zone"];

// Amounts in thousandths, coarse (whole or half units) so that ties and exact fits happen often.
const amount = (max: number, min = 0) => fc.integer({ min: min * 2, max: max * 2 }).map((x) => x * 500);
/** Mostly absent (3 in 4): each optional constraint is then present alone often enough. */
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
/** Allocation as quarters of capacity, rounded to half units: 0, 25, 50, 75 or 100 % (+ noise). */
const usedOf = (cap: number, quarter: number) => Math.floor((cap * quarter) / 4 / 500) * 500;

const candidateArb = (name: string): fc.Arbitrary<Candidate> =>
  fc
    .record({
      rack: fc.option(fc.constantFrom(...RACKS), { nil: undefined }),
      zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }),
      maintenance: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      cap: fc.record({ cpu: amount(16, 1), memory: amount(64, 1), storage: amount(100, 1) }),
      used: fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4)),
      gpus: fc.dictionary(fc.constantFrom(...MODELS), fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), {
        maxKeys: 2,
      }),
    })
    .map(({ rack, zone, maintenance, cap, used: [uc, um, us], gpus }) => {
      const used = { cpu: usedOf(cap.cpu, uc), memory: usedOf(cap.memory, um), storage: usedOf(cap.storage, us) };
      const gpuModels: Record<string, { capacity: number; allocated: number }> = {};
      let gpuCap = 0;
      let gpuUsed = 0;
      for (const [model, [c, u]] of Object.entries(gpus)) {
        const allocated = Math.min(c, u) * 1000;
        gpuModels[model] = { capacity: c * 1000, allocated };
        gpuCap += c * 1000;
        gpuUsed += allocated;
      }
      return {
        name,
        hostname: name,
        ...(rack !== undefined ? { rack } : {}),
        ...(zone !== undefined ? { zone } : {}),
        maintenance,
        capacity: { ...cap, gpus: gpuCap },
        allocated: { ...used, gpus: gpuUsed },
        gpuModels,
      };
    });

const candidatesArb: fc.Arbitrary<Candidate[]> = fc
  .uniqueArray(fc.integer({ min: 0, max: 14 }), { maxLength: 14, size: "max" })
  .chain((ids) => fc.tuple(...ids.map((i) => candidateArb(`s${i}`))));

const requestArb: fc.Arbitrary<PlacementRequest> = fc
  .record({
    demand: fc.record({ cpu: amount(2), memory: amount(8), storage: amount(10), gpus: fc.constantFrom(0, 0, 0, 0, 0, 1000, 2000) }),
    gpuModel: rarely(fc.constantFrom(...MODELS)),
    replicas: fc.constantFrom(1, 1, 1, 2, 3, 4),
    distinctDomain: fc.constantFrom(...DOMAINS),
    strategy: fc.constantFrom("binpack" as const, "spread" as const, "balanced" as const),
    pinned: rarely(fc.integer({ min: 0, max: 15 }).map((i) => `s${i}`)),
    racks: rarely(fc.subarray(RACKS)),
    zones: rarely(fc.subarray(ZONES)),
    antiAffinity: rarely(
      fc.record({
        group: fc.constant("g"),
        domain: fc.constantFrom(...DOMAINS),
        occupied: fc.subarray([...RACKS, ...ZONES, "s0", "s1", "s2", "s3"], { maxLength: 3 }),
      }),
    ),
  })
  .map((r) => {
    const req: Record<string, unknown> = { consumer: "virtual_machine t/p" };
    for (const [k, v] of Object.entries(r)) if (v !== undefined) req[k] = v;
    return req as unknown as PlacementRequest;
  });

/** An independent oracle for "c may host one replica of req", written from the contract. */
function fits(c: Candidate, req: PlacementRequest): boolean {
  if (req.pinned !== undefined && c.name !== req.pinned) return false;
  if (c.maintenance) return false;
  if (req.racks?.length && (c.rack === undefined || !req.racks.includes(c.rack))) return false;
  if (req.zones?.length && (c.zone === undefined || !req.zones.includes(c.zone))) return false;
  if (req.replicas > 1 && domainValue(c, req.distinctDomain) === undefined) return false;
  if (req.antiAffinity) {
    const v = domainValue(c, req.antiAffinity.domain);
    if (v === undefined || req.antiAffinity.occupied.includes(v)) return false;
  }
  if (!DIMENSIONS.every((d) => c.allocated[d] + req.demand[d] <= c.capacity[d])) return false;
  if (req.demand.gpus > 0) {
    const models = req.gpuModel !== undefined ? [req.gpuModel] : Object.keys(c.gpuModels);
    const room = (m: string) => {
      const g = c.gpuModels[m];
      return g !== undefined && g.allocated + req.demand.gpus <= g.capacity;
    };
    if (!models.some(room)) return false;
  }
  return true;
}

/** Seeded Fisher-Yates, so a failing shuffle can be replayed from fast-check's counterexample. */
function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("placement properties", () => {
  it("a Placed verdict satisfies every filter; Unplaceable only when too few domains fit", () => {
    fc.assert(
      fc.property(candidatesArb, requestArb, (candidates, req) => {
        const verdict = place(candidates, req);
        const byName = new Map(candidates.map((c) => [c.name, c]));
        const fitting = candidates.filter((c) => fits(c, req));
        const fittingDomains = new Set(fitting.map((c) => domainValue(c, req.distinctDomain)));
        if (verdict.ok) {
          assert.equal(verdict.servers.length, req.replicas);
          const chosen = verdict.servers.map((n) => byName.get(n)!);
          for (const c of chosen) assert.ok(fits(c, req), `${c.name} does not fit`);
          const domains = new Set(chosen.map((c) => domainValue(c, req.distinctDomain)));
          assert.equal(domains.size, req.replicas, "replicas share a domain");
          if (req.replicas === 1) {
            // optimal: no fitting candidate scores strictly higher
            const score = SCORERS[req.strategy];
            const best = score(chosen[0]!, req.demand);
            for (const c of fitting) assert.ok(score(c, req.demand) <= best);
          }
        } else {
          assert.ok(fittingDomains.size < req.replicas, `unplaceable although ${fittingDomains.size} domains fit`);
          assert.ok(verdict.message.startsWith("no server can host virtual_machine t/p: "));
          // every candidate that does not fit is explained
          assert.equal(verdict.rejections.length, candidates.length === 0 || (req.pinned !== undefined && !byName.has(req.pinned)) ? 0 : candidates.length - fitting.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("is deterministic: same input twice, and any candidate order, give the same verdict", () => {
    fc.assert(
      fc.property(candidatesArb, requestArb, fc.integer(), (candidates, req, seed) => {
        const first = place(candidates, req);
        assert.deepEqual(place(candidates, req), first);
        assert.deepEqual(place(shuffle(candidates, seed), req), first);
      }),
      { numRuns: 2000 },
    );
  });

  it("never mutates its inputs", () => {
    fc.assert(
      fc.property(candidatesArb, requestArb, (candidates, req) => {
        const before = JSON.stringify([candidates, req]);
        place(candidates, req);
        assert.equal(JSON.stringify([candidates, req]), before);
      }),
      { numRuns: 300 },
    );
  });
});
