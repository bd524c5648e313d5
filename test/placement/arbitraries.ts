/** Random inventories and placement requests for property tests (fast-check). */
import fc from "fast-check";
import type { Candidate, Domain, PlacementRequest } from "../../provider/src/placement";

export const MODELS = ["a100", "t4", "l4"] as const;
export const RACKS = ["r0", "r1", "r2", "r3"];
export const ZONES = ["z0", "z1", "z2"];
export const DOMAINS: Domain[] = ["server", "rack", "zone"];

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

export const candidatesArb: fc.Arbitrary<Candidate[]> = fc
  .uniqueArray(fc.integer({ min: 0, max: 14 }), { maxLength: 14, size: "max" })
  .chain((ids) => fc.tuple(...ids.map((i) => candidateArb(`s${i}`))));

export const requestArb: fc.Arbitrary<PlacementRequest> = fc
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

