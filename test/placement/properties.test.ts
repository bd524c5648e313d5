import assert from "node:assert/strict";
import fc from "fast-check";
import { DIMENSIONS } from "../../provider/src/domain/resources";
import {
  domainValue,
  place,
  SCORERS,
  type Candidate,
  type PlacementRequest,
} from "../../provider/src/placement";
import { candidatesArb, requestArb } from "./arbitraries";

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
