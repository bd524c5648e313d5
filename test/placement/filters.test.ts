import assert from "node:assert/strict";
import { bindFilters, place, runFilters, type Candidate, type PlacementRequest, type PlacementVerdict } from "../../provider/src/placement";
import { request, server } from "./builders";

interface Case {
  readonly name: string;
  readonly candidates: readonly Candidate[];
  readonly request: PlacementRequest;
  readonly expected: PlacementVerdict;
}

// Every case uses binpack unless stated; the fitting servers are chosen so that the expected
// winner is obvious from the comment.
const cases: Case[] = [
  {
    name: "maintenance: the fuller server is in maintenance, the other wins",
    candidates: [server("s1", [8, 32], [6, 24], { maintenance: true }), server("s2", [8, 32])],
    request: request([2, 8]),
    expected: { ok: true, servers: ["s2"] },
  },
  {
    name: "maintenance: the only server in maintenance -> unplaceable",
    candidates: [server("s1", [8, 32], [0, 0], { maintenance: true })],
    request: request([2, 8]),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 1 candidate rejected",
      rejections: [{ server: "s1", filter: "maintenance", reason: "server is in maintenance (no new placements)" }],
    },
  },
  {
    name: "pinned: the emptier pinned server wins over the binpack favourite",
    candidates: [server("s1", [8, 32], [6, 24]), server("s2", [8, 32])],
    request: request([2, 8], { pinned: "s2" }),
    expected: { ok: true, servers: ["s2"] },
  },
  {
    name: "pinned: the pinned server is full -> every candidate rejected, others as not pinned",
    candidates: [server("s1", [8, 32]), server("s2", [8, 32], [7, 0])],
    request: request([2, 8], { pinned: "s2" }),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 2 candidates rejected",
      rejections: [
        { server: "s1", filter: "pinned", reason: "not the pinned server (s2)" },
        // cpu: 7 + 2 = 9 > 8
        { server: "s2", filter: "capacity", reason: "insufficient cpu: requested 2, allocated 7, capacity 8 cores" },
      ],
    },
  },
  {
    name: "pinned: a server outside the group",
    candidates: [server("s1", [8, 32])],
    request: request([2, 8], { pinned: "s9" }),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: pinned server s9 is not a member of the group",
      rejections: [],
    },
  },
  {
    name: "no candidates at all",
    candidates: [],
    request: request([2, 8]),
    expected: { ok: false, message: "no server can host virtual_machine acme/web: the group has no member servers", rejections: [] },
  },
  {
    name: "racks: only r2 allowed; the fuller r1 server and the rackless one are rejected",
    candidates: [
      server("s1", [8, 32], [6, 24], { rack: "r1" }),
      server("s2", [8, 32], [0, 0], { rack: "r2" }),
      server("s3", [8, 32], [4, 16]),
    ],
    request: request([2, 8], { racks: ["r2"] }),
    expected: { ok: true, servers: ["s2"] },
  },
  {
    name: "racks: reasons for a wrong rack and a missing rack (allowed list sorted)",
    candidates: [server("s1", [8, 32], [0, 0], { rack: "r1" }), server("s2", [8, 32])],
    request: request([2, 8], { racks: ["r3", "r2"] }),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 2 candidates rejected",
      rejections: [
        { server: "s1", filter: "racks", reason: "rack r1 is not one of the allowed racks: r2, r3" },
        { server: "s2", filter: "racks", reason: "server has no rack; allowed racks: r2, r3" },
      ],
    },
  },
  {
    name: "racks: an empty allow-list means anywhere (binpack picks the fuller s1)",
    candidates: [server("s1", [8, 32], [6, 24], { rack: "r1" }), server("s2", [8, 32], [0, 0], { rack: "r2" })],
    request: request([2, 8], { racks: [] }),
    expected: { ok: true, servers: ["s1"] },
  },
  {
    name: "zones: only z2 allowed",
    candidates: [
      server("s1", [8, 32], [6, 24], { zone: "z1" }),
      server("s2", [8, 32], [0, 0], { zone: "z2" }),
      server("s3", [8, 32], [1, 1], { zone: "z2" }),
    ],
    // binpack among z2: s3 (1+2)/8, (1+8)/32 beats s2 (0+2)/8, (0+8)/32
    request: request([2, 8], { zones: ["z2"] }),
    expected: { ok: true, servers: ["s3"] },
  },
  {
    name: "zones: reasons",
    candidates: [server("s1", [8, 32], [0, 0], { zone: "z1" }), server("s2", [8, 32], [0, 0], { rack: "r1" })],
    request: request([2, 8], { zones: ["z2"] }),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 2 candidates rejected",
      rejections: [
        { server: "s1", filter: "zones", reason: "zone z1 is not one of the allowed zones: z2" },
        { server: "s2", filter: "zones", reason: "server has no zone; allowed zones: z2" },
      ],
    },
  },
  {
    name: "capacity: each dimension on its own, and all failing dimensions listed",
    candidates: [
      // memory: 60 + 8 = 68 > 64
      server("s1", [16, 64, 500, 1], [0, 60, 0]),
      // storage: 480 + 40 = 520 > 500
      server("s2", [16, 64, 500, 1], [0, 0, 480]),
      // cpu: 15 + 2 = 17 > 16 and memory: 58 + 8 = 66 > 64
      server("s3", [16, 64, 500, 1], [15, 58, 0]),
      // gpus: capacity 0, requested 1
      server("s4", [16, 64, 500], [0, 0, 0]),
    ],
    request: request([2, 8, 40, 1]),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 4 candidates rejected",
      rejections: [
        { server: "s1", filter: "capacity", reason: "insufficient memory: requested 8, allocated 60, capacity 64 GiB" },
        { server: "s2", filter: "capacity", reason: "insufficient storage: requested 40, allocated 480, capacity 500 GiB" },
        {
          server: "s3",
          filter: "capacity",
          reason:
            "insufficient cpu: requested 2, allocated 15, capacity 16 cores; insufficient memory: requested 8, allocated 58, capacity 64 GiB",
        },
        // GPUs asked of a server with none: explained by the GPU model filter, which runs before capacity.
        { server: "s4", filter: "gpu-model", reason: "server has no GPUs" },
      ],
    },
  },
  {
    name: "capacity: exactly full is allowed (allocated + demand == capacity), fractions exact",
    candidates: [server("s1", [8, 32], [7.5, 31.75]), server("s2", [8, 32], [7.6, 0])],
    // s1: 7.5 + 0.5 = 8 <= 8, 31.75 + 0.25 = 32 <= 32 fits; s2: 7.6 + 0.5 = 8.1 > 8
    request: request([0.5, 0.25]),
    expected: { ok: true, servers: ["s1"] },
  },
  {
    name: "gpu model: only the server with free a100s fits",
    candidates: [
      server("s1", [32, 256, 1000, 4], [0, 0, 0, 0], { gpuModels: { t4: [4, 0] } }),
      server("s2", [32, 256, 1000, 4], [0, 0, 0, 3], { gpuModels: { a100: [4, 3] } }),
      server("s3", [32, 256, 1000, 8], [0, 0, 0, 2], { gpuModels: { a100: [4, 2], t4: [4, 0] } }),
    ],
    request: request([4, 16, 0, 2], { gpuModel: "a100" }),
    expected: { ok: true, servers: ["s3"] },
  },
  {
    name: "gpu model: reasons for a missing model and a full model",
    candidates: [
      server("s1", [32, 256, 1000, 4], [0, 0, 0, 0], { gpuModels: { t4: [4, 0] } }),
      // 8 GPUs, 3 used: the total has room (3 + 2 <= 8), the a100s do not (3 + 2 > 4)
      server("s2", [32, 256, 1000, 8], [0, 0, 0, 3], { gpuModels: { a100: [4, 3], t4: [4, 0] } }),
    ],
    request: request([4, 16, 0, 2], { gpuModel: "a100" }),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 2 candidates rejected",
      rejections: [
        { server: "s1", filter: "gpu-model", reason: "server has no a100 GPUs (it has t4)" },
        { server: "s2", filter: "gpu-model", reason: "insufficient a100 GPUs: requested 2, allocated 3, capacity 4 GPUs" },
      ],
    },
  },
  {
    name: "gpu any model: 3 GPUs free in total but split 2 + 1 across models does not fit",
    candidates: [
      server("s1", [32, 256, 1000, 8], [0, 0, 0, 5], { gpuModels: { a100: [4, 2], t4: [4, 3] } }),
      server("s2", [32, 256, 1000, 10], [0, 0, 0, 7], { gpuModels: { a100: [4, 4], t4: [4, 2], l4: [2, 1] } }),
    ],
    // totals have room (5 + 3 <= 8, 7 + 3 <= 10), but
    // s1: a100 2 free, t4 1 free -> no single model has 3; s2: t4 2, l4 1 free -> also no.
    request: request([1, 1, 0, 3]),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 2 candidates rejected",
      rejections: [
        { server: "s1", filter: "gpu-model", reason: "no single GPU model has 3 free GPUs (a100: 2 free of 4; t4: 1 free of 4)" },
        { server: "s2", filter: "gpu-model", reason: "no single GPU model has 3 free GPUs (a100: 0 free of 4; l4: 1 free of 2; t4: 2 free of 4)" },
      ],
    },
  },
  {
    name: "gpu any model: a single model with enough room fits",
    candidates: [server("s1", [32, 256, 1000, 8], [0, 0, 0, 4], { gpuModels: { a100: [4, 4], t4: [4, 0] } })],
    request: request([1, 1, 0, 3]),
    expected: { ok: true, servers: ["s1"] },
  },
  {
    name: "anti-affinity by server: occupied s1 rejected, s2 chosen",
    candidates: [server("s1", [8, 32], [6, 24]), server("s2", [8, 32])],
    request: request([2, 8], { antiAffinity: { group: "web", domain: "server", occupied: ["s1"] } }),
    expected: { ok: true, servers: ["s2"] },
  },
  {
    name: "anti-affinity by rack: r1 occupied, both r1 servers rejected; rackless rejected",
    candidates: [
      server("s1", [8, 32], [6, 24], { rack: "r1" }),
      server("s2", [8, 32], [0, 0], { rack: "r1" }),
      server("s3", [8, 32], [0, 0], { rack: "r2" }),
      server("s4", [8, 32], [6, 24]),
    ],
    request: request([2, 8], { antiAffinity: { group: "web", domain: "rack", occupied: ["r1"] } }),
    expected: { ok: true, servers: ["s3"] },
  },
  {
    name: "anti-affinity by zone: reasons",
    candidates: [server("s1", [8, 32], [0, 0], { zone: "z1" }), server("s2", [8, 32], [0, 0], { rack: "r1" })],
    request: request([2, 8], { antiAffinity: { group: "web", domain: "zone", occupied: ["z1"] } }),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 2 candidates rejected",
      rejections: [
        { server: "s1", filter: "anti-affinity", reason: "zone z1 already holds a member of anti-affinity group web" },
        { server: "s2", filter: "anti-affinity", reason: "server has no zone, needed by anti-affinity group web (spread_domain zone)" },
      ],
    },
  },
  {
    name: "anti-affinity by zone: the free zone wins",
    candidates: [server("s1", [8, 32], [6, 24], { zone: "z1" }), server("s2", [8, 32], [0, 0], { zone: "z2" })],
    request: request([2, 8], { antiAffinity: { group: "web", domain: "zone", occupied: ["z1"] } }),
    expected: { ok: true, servers: ["s2"] },
  },
  {
    name: "filters stop at the first failure: maintenance before capacity",
    candidates: [server("s1", [8, 32], [8, 32], { maintenance: true })],
    request: request([2, 8]),
    expected: {
      ok: false,
      message: "no server can host virtual_machine acme/web: 1 candidate rejected",
      rejections: [{ server: "s1", filter: "maintenance", reason: "server is in maintenance (no new placements)" }],
    },
  },
];

describe("placement filters", () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(place(c.candidates, c.request), c.expected);
    });
  }

  it("binds only the filters a request needs, in the default order", () => {
    assert.deepEqual(
      bindFilters(request([1, 1])).map((f) => f.name),
      ["maintenance", "capacity"],
    );
    const everything = request([1, 1, 0, 1], {
      pinned: "s1",
      racks: ["r1"],
      zones: ["z1"],
      replicas: 2,
      distinctDomain: "rack",
      antiAffinity: { group: "g", domain: "zone", occupied: [] },
    });
    assert.deepEqual(
      bindFilters(everything).map((f) => f.name),
      ["pinned", "maintenance", "racks", "zones", "failure-domain", "anti-affinity", "gpu-model", "capacity"],
    );
  });

  it("runFilters: the first failing filter's rejection, or undefined", () => {
    const filters = bindFilters(request([2, 8], { racks: ["r1"] }));
    assert.equal(runFilters(filters, server("ok", [8, 32], [0, 0], { rack: "r1" })), undefined);
    assert.deepEqual(runFilters(filters, server("full", [8, 32], [8, 32], { rack: "r2" })), {
      server: "full",
      filter: "racks",
      reason: "rack r2 is not one of the allowed racks: r1",
    });
  });

  it("the worked example of place()'s documentation", () => {
    // binpack, demand 2 cores / 2 GiB: s1 (8/8 + 8/8)/2 = 1.0; s2 (4/8 + 4/8)/2 = 0.5; s3 cpu 7 + 2 > 8
    const group = [server("s1", [8, 8], [6, 6]), server("s2", [8, 8], [2, 2]), server("s3", [8, 8], [7, 0])];
    assert.deepEqual(place(group, request([2, 2])), { ok: true, servers: ["s1"] });
    assert.deepEqual(place(group, request([2, 2], { strategy: "spread" })), { ok: true, servers: ["s2"] });
  });

  it("rejects a malformed request as a bug (OtterscaleError invalid_input)", () => {
    assert.throws(() => place([server("s1", [8, 32])], request([1, 1], { replicas: 0 })), {
      name: "OtterscaleError",
      code: "invalid_input",
    });
    assert.throws(
      () => place([server("s1", [8, 32])], request([1, 1], { strategy: "random" as never })),
      /unknown strategy "random" \(use binpack, spread, balanced\)/,
    );
  });
});
