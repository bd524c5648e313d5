import assert from "node:assert/strict";
import { place, type Candidate, type PlacementRequest, type PlacementVerdict } from "../../provider/src/placement";
import { request, server } from "./builders";

interface Case {
  readonly name: string;
  readonly candidates: readonly Candidate[];
  readonly request: PlacementRequest;
  readonly expected: PlacementVerdict;
}

// vCluster: control-plane replica = 1 core, 2 GiB, 5 GiB; servers 16 cores, 64 GiB, 1000 GiB.
const vclusterServers = [
  server("s1", [16, 64, 1000], [8, 32, 0]),
  server("s2", [16, 64, 1000], [12, 48, 0]),
  server("s3", [16, 64, 1000], [2, 8, 0]),
  server("s4", [16, 64, 1000], [15.5, 0, 0]), // cpu 15.5 + 1 > 16: rejected
  server("s5", [16, 64, 1000], [4, 16, 0]),
];
const vcluster = (overrides: Partial<PlacementRequest> = {}) =>
  request([1, 2, 5], { consumer: "vcluster acme/dev", replicas: 3, distinctDomain: "server", ...overrides });

// Block pool, 3 replicas of 100 GiB across racks; only storage is demanded.
// Servers 16 cores, 64 GiB, 1000 GiB storage, nothing else allocated, so
// binpack score = (0 + 0 + (allocated + 100) / 1000) / 3.
const rackServers = [
  server("a", [16, 64, 1000], [0, 0, 850], { rack: "r1" }), // 950/1000
  server("b", [16, 64, 1000], [0, 0, 200], { rack: "r1" }), // 300/1000, loses to a in r1
  server("c", [16, 64, 1000], [0, 0, 950], { rack: "r2" }), // 1050 > 1000: rejected
  server("d", [16, 64, 1000], [0, 0, 500], { rack: "r2" }), // 600/1000
  server("e", [16, 64, 1000], [0, 0, 0], { rack: "r3" }), // 100/1000
  server("f", [16, 64, 1000], [0, 0, 920], { rack: "r4" }), // 1020 > 1000: rejected, r4 has nothing else
  server("g", [16, 64, 1000], [0, 0, 0]), // no rack: cannot prove a distinct failure domain
];
const rackPool = (overrides: Partial<PlacementRequest> = {}) =>
  request([0, 0, 100], { consumer: "block_pool acme/data", replicas: 3, distinctDomain: "rack", ...overrides });

// EC 4+2 pool of 400 GiB across zones: 6 chunks of 400/4 = 100 GiB, spread strategy
// (least allocated after placement first).
const zoneServers = [
  server("p1", [16, 64, 1000], [0, 0, 100], { zone: "z1" }), // after 200/1000
  server("p2", [16, 64, 1000], [0, 0, 600], { zone: "z1" }), // after 700: loses to p1 in z1
  server("p3", [16, 64, 1000], [0, 0, 300], { zone: "z2" }), // after 400
  server("p4", [16, 64, 1000], [0, 0, 0], { zone: "z3" }), // after 100
  server("p5", [16, 64, 1000], [0, 0, 500], { zone: "z4" }), // after 600
  server("p6", [16, 64, 1000], [0, 0, 200], { zone: "z5" }), // after 300
  server("p7", [16, 64, 1000], [0, 0, 800], { zone: "z6" }), // after 900
  server("p8", [16, 64, 1000], [0, 0, 950], { zone: "z7" }), // 1050 > 1000: rejected
];
const ecPool = (overrides: Partial<PlacementRequest> = {}) =>
  request([0, 0, 100], { consumer: "block_pool acme/ec", replicas: 6, distinctDomain: "zone", strategy: "spread", ...overrides });

const cases: Case[] = [
  {
    name: "vCluster 3 replicas, binpack: the three fullest distinct servers, best first",
    // scores (cpu, memory, storage): s2 (13/16 + 50/64 + 5/1000)/3 = 0.5329; s1 (9/16 + 34/64 + 0.005)/3 = 0.3663;
    // s5 (5/16 + 18/64 + 0.005)/3 = 0.1996; s3 (3/16 + 10/64 + 0.005)/3 = 0.1166
    candidates: vclusterServers,
    request: vcluster(),
    expected: { ok: true, servers: ["s2", "s1", "s5"] },
  },
  {
    name: "vCluster 3 replicas, spread: the three emptiest",
    candidates: vclusterServers,
    request: vcluster({ strategy: "spread" }),
    expected: { ok: true, servers: ["s3", "s5", "s1"] },
  },
  {
    name: "vCluster 3 replicas on 2 servers: not enough domains",
    candidates: vclusterServers.slice(0, 2),
    request: vcluster(),
    expected: {
      ok: false,
      message: "no server can host vcluster acme/dev: needs 3 distinct servers, only 2 fit; 0 candidates rejected",
      rejections: [],
    },
  },
  {
    name: "vCluster replicas tie: identical servers -> names ascending",
    candidates: [server("n3", [8, 8]), server("n1", [8, 8]), server("n4", [8, 8]), server("n2", [8, 8])],
    request: vcluster({ demand: { cpu: 1000, memory: 1000, storage: 0, gpus: 0 } }),
    expected: { ok: true, servers: ["n1", "n2", "n3"] },
  },
  {
    name: "block pool 3 replicas across racks: best server of each rack, racks by their best",
    // r1 -> a (0.95/3), r2 -> d (0.6/3), r3 -> e (0.1/3); r4 has no fitting server
    candidates: rackServers,
    request: rackPool(),
    expected: { ok: true, servers: ["a", "d", "e"] },
  },
  {
    name: "block pool 4 replicas across racks: only 3 racks fit",
    candidates: rackServers,
    request: rackPool({ replicas: 4 }),
    expected: {
      ok: false,
      message: "no server can host block_pool acme/data: needs 4 distinct racks, only 3 fit; 3 candidates rejected",
      rejections: [
        { server: "c", filter: "capacity", reason: "insufficient storage: requested 100, allocated 950, capacity 1000 GiB" },
        { server: "f", filter: "capacity", reason: "insufficient storage: requested 100, allocated 920, capacity 1000 GiB" },
        { server: "g", filter: "failure-domain", reason: "server has no rack, needed to place 4 replicas in distinct racks" },
      ],
    },
  },
  {
    name: "block pool EC 4+2 across zones, spread: one chunk per zone, emptiest first",
    // after-placement storage: p4 100, p1 200, p6 300, p3 400, p5 600, p7 900 (z7's p8 rejected)
    candidates: zoneServers,
    request: ecPool(),
    expected: { ok: true, servers: ["p4", "p1", "p6", "p3", "p5", "p7"] },
  },
  {
    name: "block pool EC 4+2 across zones without z6: 5 zones fit, 6 needed",
    candidates: zoneServers.filter((s) => s.zone !== "z6"),
    request: ecPool(),
    expected: {
      ok: false,
      message: "no server can host block_pool acme/ec: needs 6 distinct zones, only 5 fit; 1 candidate rejected",
      rejections: [
        { server: "p8", filter: "capacity", reason: "insufficient storage: requested 100, allocated 950, capacity 1000 GiB" },
      ],
    },
  },
  {
    name: "multi-replica honours racks allow-list and anti-affinity together",
    // racks r1, r2, r3 allowed; anti-affinity occupies r2 -> r1 (a) and r3 (e) remain
    candidates: rackServers,
    request: rackPool({ replicas: 2, racks: ["r1", "r2", "r3"], antiAffinity: { group: "pools", domain: "rack", occupied: ["r2"] } }),
    expected: { ok: true, servers: ["a", "e"] },
  },
];

describe("multi-replica placement", () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(place(c.candidates, c.request), c.expected);
      assert.deepEqual(place([...c.candidates].reverse(), c.request), c.expected);
    });
  }
});
