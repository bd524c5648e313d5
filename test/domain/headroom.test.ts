/**
 * The headrooms speculative reservations re-check under the ledger's lock (ledger/speculation.ts)
 * are the decision rules solved for the aggregate: a usage within quotaHeadroom is exactly a usage
 * checkQuota admits, and a load within loadHeadroom exactly one fitsAll admits. Compared here with
 * the rules' plain formulas on random values.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkQuota, quotaHeadroom, type QuotaLimits, type Usage } from "../../provider/src/domain/quota";
import { DIMENSIONS, type Resources } from "../../provider/src/domain/resources";
import { fitsAll } from "../../provider/src/placement/filters";
import { loadHeadroom } from "../../provider/src/placement";
import type { Candidate } from "../../provider/src/placement";

const amount = fc.integer({ min: 0, max: 200_000 });
const resources = fc.record({ cpu: amount, memory: amount, storage: amount, gpus: amount });
const usage = fc.record({ resources, virtualMachines: fc.nat(50), vclusters: fc.nat(50), blockPools: fc.nat(50) });
const signed = fc.integer({ min: -50_000, max: 50_000 });
const delta = fc.record({
  resources: fc.record({ cpu: signed, memory: signed, storage: signed, gpus: signed }),
  virtualMachines: fc.integer({ min: -2, max: 3 }),
  vclusters: fc.integer({ min: -2, max: 3 }),
  blockPools: fc.integer({ min: -2, max: 3 }),
});
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const limits = fc.record({
  resources: fc.record({ cpu: maybe(amount), memory: maybe(amount), storage: maybe(amount), gpus: maybe(amount) }),
  virtualMachines: maybe(fc.nat(60)),
  vclusters: maybe(fc.nat(60)),
  blockPools: maybe(fc.nat(60)),
});

/** The quota rule as the contract states it: every limited dimension the delta grows stays within its limit. */
function admits(l: QuotaLimits, u: Usage, d: Usage): boolean {
  const within = (limit: number | undefined, used: number, grow: number) => grow <= 0 || limit === undefined || used + grow <= limit;
  return (
    DIMENSIONS.every((k) => within(l.resources[k], u.resources[k], d.resources[k])) &&
    within(l.virtualMachines, u.virtualMachines, d.virtualMachines) &&
    within(l.vclusters, u.vclusters, d.vclusters) &&
    within(l.blockPools, u.blockPools, d.blockPools)
  );
}

function withinQuota(u: Usage, room: Usage): boolean {
  return DIMENSIONS.every((k) => u.resources[k] <= room.resources[k]) && u.virtualMachines <= room.virtualMachines && u.vclusters <= room.vclusters && u.blockPools <= room.blockPools;
}

const candidate = (capacity: Resources, allocated: Resources): Candidate => ({ name: "s", hostname: "s", maintenance: false, capacity, allocated, gpuModels: {} });

describe("decision headrooms", () => {
  it("a usage within quotaHeadroom is exactly one checkQuota admits (and the contract's formula)", () => {
    fc.assert(
      fc.property(limits, usage, delta, (l, u, d) => {
        const ok = checkQuota(l, u, d).ok;
        assert.equal(ok, admits(l, u, d));
        assert.equal(withinQuota(u, quotaHeadroom(l, d)), ok);
      }),
      { numRuns: 2000 },
    );
  });

  it("a load within loadHeadroom is exactly one fitsAll admits", () => {
    fc.assert(
      fc.property(resources, resources, resources, (capacity, allocated, demand) => {
        const room = loadHeadroom(capacity, demand);
        assert.equal(DIMENSIONS.every((k) => allocated[k] <= room[k]), fitsAll(candidate(capacity, allocated), demand));
      }),
      { numRuns: 2000 },
    );
  });
});
