/**
 * The candidate index decides exactly what the plain scan decides: same servers, same refusals
 * with the same rejections, for random inventories and requests, before and after allocations
 * change (`update`). Small buckets, so that pruning happens in small inventories too.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { CandidateIndex, place, type Candidate, type PlacementRequest } from "../../provider/src/placement";
import { candidatesArb, requestArb } from "./arbitraries";

/** A random share of each candidate's room taken (or freed), as a placement would. */
const changesArb = fc.array(fc.tuple(fc.nat(20), fc.integer({ min: -4, max: 4 })), { maxLength: 6 });

function changed(c: Candidate, step: number): Candidate {
  const allocated = { ...c.allocated };
  for (const d of ["cpu", "memory", "storage"] as const) {
    allocated[d] = Math.min(c.capacity[d], Math.max(0, allocated[d] + step * 500));
  }
  return { ...c, allocated };
}

/** An allocation scaled into a new capacity (no GPUs), never above it. */
function fit(a: Candidate["allocated"], k: Candidate["capacity"]): Candidate["allocated"] {
  return { cpu: Math.min(a.cpu, k.cpu), memory: Math.min(a.memory, k.memory), storage: Math.min(a.storage, k.storage), gpus: 0 };
}

describe("candidate index (placement over large groups)", () => {
  it("gives exactly the plain scan's verdict on random inventories", () => {
    fc.assert(
      fc.property(candidatesArb, requestArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), (candidates, req, bucket, leaf) => {
        const index = new CandidateIndex(candidates, bucket, leaf);
        assert.deepEqual(index.place(req), place(candidates, req));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives exactly the plain scan's verdict when servers come in a few sizes (exact bounds per size)", () => {
    // Few sizes: buckets and leaves of one size are common, where the balanced bound uses the exact demand share.
    const sizes = [
      { cpu: 8000, memory: 32000, storage: 100000, gpus: 0 },
      { cpu: 16000, memory: 64000, storage: 100000, gpus: 0 },
      { cpu: 4000, memory: 64000, storage: 0, gpus: 0 },
    ];
    const sizedArb = candidatesArb.chain((cs) =>
      fc.tuple(...cs.map((c) => fc.constantFrom(...sizes).map((capacity) => ({ ...c, gpuModels: {}, capacity, allocated: fit(c.allocated, capacity) })))),
    );
    fc.assert(
      fc.property(sizedArb, requestArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), (candidates, req, bucket, leaf) => {
        const index = new CandidateIndex(candidates, bucket, leaf);
        assert.deepEqual(index.place(req), place(candidates, req));
      }),
      { numRuns: 2000 },
    );
  });

  it("stays exact after allocations change", () => {
    fc.assert(
      fc.property(candidatesArb, requestArb, changesArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (candidates, req, changes, bucket, leaf) => {
        const index = new CandidateIndex(candidates, bucket, leaf);
        const current = [...candidates];
        for (const [at, step] of changes) {
          if (!current.length) break;
          const i = at % current.length;
          current[i] = changed(current[i]!, step);
          index.update(current[i]!);
        }
        assert.deepEqual(index.place(req), place(current, req));
      }),
      { numRuns: 1000 },
    );
  });

  it("prunes: a group of 2,000 mostly full servers is decided without scoring most of them", () => {
    const servers: Candidate[] = Array.from({ length: 2000 }, (_, i) => ({
      name: `s${String(i).padStart(4, "0")}`,
      hostname: `s${i}`,
      maintenance: false,
      capacity: { cpu: 64_000, memory: 256_000, storage: 0, gpus: 0 },
      allocated: { cpu: (i % 64) * 1000, memory: (i % 64) * 4000, storage: 0, gpus: 0 },
      gpuModels: {},
    }));
    const req: PlacementRequest = { consumer: "virtual_machine t/v", demand: { cpu: 2000, memory: 8000, storage: 0, gpus: 0 }, replicas: 1, distinctDomain: "server", strategy: "binpack" };
    let reads = 0;
    const counted = servers.map((c) => new Proxy(c, { get: (t, p) => (p === "allocated" && reads++, Reflect.get(t, p)) }));
    const index = new CandidateIndex(counted, 64);
    reads = 0; // building reads every server; the decision should not
    assert.deepEqual(index.place(req), place(servers, req));
    // The plain scan reads each server's allocation at least twice (capacity filter, score).
    assert.ok(reads < 2000 / 4, `the decision read ${reads} allocations of 2,000 servers`);
  });

  /** 2,000 servers of one size, loads varied per dimension; reads of `allocated` while deciding. */
  function readsToDecide(strategy: PlacementRequest["strategy"], demand: PlacementRequest["demand"], used: (i: number) => Candidate["allocated"]): number {
    const servers: Candidate[] = Array.from({ length: 2000 }, (_, i) => ({
      name: `s${String(i).padStart(4, "0")}`,
      hostname: `s${i}`,
      maintenance: false,
      capacity: { cpu: 64_000, memory: 256_000, storage: 0, gpus: 0 },
      allocated: used(i),
      gpuModels: {},
    }));
    const req: PlacementRequest = { consumer: "virtual_machine t/v", demand, replicas: 1, distinctDomain: "server", strategy };
    let reads = 0;
    const counted = servers.map((c) => new Proxy(c, { get: (t, p) => (p === "allocated" && reads++, Reflect.get(t, p)) }));
    const index = new CandidateIndex(counted, 256, 16);
    reads = 0;
    assert.deepEqual(index.place(req), place(servers, req));
    return reads;
  }

  for (const strategy of ["binpack", "spread", "balanced"] as const) {
    it(`prunes ${strategy}: uneven loads, small request`, () => {
      const reads = readsToDecide(strategy, { cpu: 2000, memory: 8000, storage: 0, gpus: 0 }, (i) => ({ cpu: (i % 61) * 1000, memory: ((i * 7) % 61) * 4000, storage: 0, gpus: 0 }));
      assert.ok(reads < 2000 / 4, `the decision read ${reads} allocations of 2,000 servers`);
    });
  }

  it("prunes a large request among nearly full servers by leaf (only the leaf with room is scored)", () => {
    // Every server is 95 % full but one in a hundred is empty: only leaves holding an empty one have room.
    const reads = readsToDecide("binpack", { cpu: 32_000, memory: 128_000, storage: 0, gpus: 0 }, (i) =>
      i % 100 === 0 ? { cpu: 0, memory: 0, storage: 0, gpus: 0 } : { cpu: 60_000 + (i % 4) * 1000, memory: 243_000 + (i % 5) * 1000, storage: 0, gpus: 0 },
    );
    assert.ok(reads < 2000 / 4, `the decision read ${reads} allocations of 2,000 servers`);
  });
});
