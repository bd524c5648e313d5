import assert from "node:assert/strict";
import { place, SCORERS, type Candidate, type Strategy } from "../../provider/src/placement";
import { resources } from "../../provider/src/domain/resources";
import { request, server } from "./builders";

interface StrategyCase {
  readonly name: string;
  readonly strategy: Strategy;
  readonly candidates: readonly Candidate[];
  readonly demand: readonly [number, number, number?, number?];
  readonly expected: string;
}

const cases: StrategyCase[] = [
  {
    name: "binpack picks the most allocated after placement",
    strategy: "binpack",
    // demand 2 cores, 8 GiB
    // s1: ((6+2)/8 + (16+8)/32) / 2 = (1.0 + 0.75) / 2 = 0.875
    // s2: ((2+2)/8 + (8+8)/32) / 2 = (0.5 + 0.5) / 2 = 0.5
    // s3: ((0+2)/16 + (0+8)/64) / 2 = (0.125 + 0.125) / 2 = 0.125
    candidates: [server("s2", [8, 32], [2, 8]), server("s3", [16, 64]), server("s1", [8, 32], [6, 16])],
    demand: [2, 8],
    expected: "s1",
  },
  {
    name: "binpack scores utilisation AFTER the demand: the small box it fills beats a partly used big one",
    strategy: "binpack",
    // demand 4 cores only (memory 0)
    // small: ((0+4)/4 + 0/8) / 2 = (1.0 + 0) / 2 = 0.5
    // big:   ((20+4)/64 + 80/256) / 2 = (0.375 + 0.3125) / 2 = 0.34375
    // (before the demand big was fuller: 0.3125 vs 0)
    candidates: [server("small", [4, 8]), server("big", [64, 256], [20, 80])],
    demand: [4, 0],
    expected: "small",
  },
  {
    name: "binpack: storage and GPUs count when the server has them (capacity > 0)",
    strategy: "binpack",
    // demand 1 core, 1 GiB, 10 GiB disk
    // g (gpu server, GPUs idle): (1/8 + 1/8 + 10/100 + 0/4) / 4 = (0.125 + 0.125 + 0.1 + 0) / 4 = 0.0875
    // c (cpu server, same but no GPUs): (0.125 + 0.125 + 0.1) / 3 = 0.11667 -> c wins, keeping the GPU box free
    candidates: [server("g", [8, 8, 100, 4]), server("c", [8, 8, 100])],
    demand: [1, 1, 10],
    expected: "c",
  },
  {
    name: "spread picks the least allocated after placement",
    strategy: "spread",
    // same as the first binpack case: 1 - 0.875 = 0.125, 1 - 0.5 = 0.5, 1 - 0.125 = 0.875 -> s3
    candidates: [server("s2", [8, 32], [2, 8]), server("s3", [16, 64]), server("s1", [8, 32], [6, 16])],
    demand: [2, 8],
    expected: "s3",
  },
  {
    name: "spread: equal allocation, bigger server is emptier after placement",
    strategy: "spread",
    // a: ((4+2)/8 + (4+2)/8) / 2 = 0.75 -> 0.25;  b: ((4+2)/16 + (4+2)/16) / 2 = 0.375 -> 0.625
    candidates: [server("a", [8, 8], [4, 4]), server("b", [16, 16], [4, 4])],
    demand: [2, 2],
    expected: "b",
  },
  {
    name: "balanced picks the lowest standard deviation of utilisation across dimensions",
    strategy: "balanced",
    // demand 2 cores, 4 GiB
    // even:  [2/8, 4/16]  = [0.25, 0.25]   -> stddev 0
    // skew:  [2/4, 4/32]  = [0.5, 0.125]   -> mean 0.3125, stddev 0.1875
    // fixer: [(6+2)/16, (4+4)/64] = [0.5, 0.125] -> stddev 0.1875
    candidates: [server("skew", [4, 32]), server("even", [8, 16]), server("fixer", [16, 64], [6, 4])],
    demand: [2, 4],
    expected: "even",
  },
  {
    name: "balanced: the demand evens out a lopsided server",
    strategy: "balanced",
    // demand 1 core, 12 GiB
    // memlight: cpu (7+1)/8 = 1.0, mem (4+12)/16 = 1.0        -> stddev 0
    // empty:    cpu 1/8 = 0.125,   mem 12/16 = 0.75           -> stddev 0.3125
    candidates: [server("empty", [8, 16]), server("memlight", [8, 16], [7, 4])],
    demand: [1, 12],
    expected: "memlight",
  },
  // Ties: equal scores go to the smaller name, whatever the input order.
  {
    name: "tie (binpack): identical servers -> smallest name",
    strategy: "binpack",
    candidates: [server("s3", [8, 32]), server("s10", [8, 32]), server("s2", [8, 32])],
    // code-unit order: "s10" < "s2" < "s3"
    demand: [1, 1],
    expected: "s10",
  },
  {
    name: "tie (spread): same utilisation from different sizes -> smallest name",
    strategy: "spread",
    // b: ((2+2)/8 + (4+4)/16) / 2 = 0.5;  a: ((6+2)/16 + (12+4)/32) / 2 = 0.5 -> tie -> a
    candidates: [server("b", [8, 16], [2, 4]), server("a", [16, 32], [6, 12])],
    demand: [2, 4],
    expected: "a",
  },
  {
    name: "tie (balanced): both perfectly balanced -> smallest name",
    strategy: "balanced",
    // x: [1/4, 1/4] stddev 0;  w: [1/8, 1/8] stddev 0
    candidates: [server("x", [4, 4]), server("w", [8, 8])],
    demand: [1, 1],
    expected: "w",
  },
  {
    name: "tie (binpack): float noise does not break a real tie (0.1 + 0.2 vs 0.3 + 0)",
    strategy: "binpack",
    // demand 1 core
    // q: (1/10 + 2/10) / 2 = 0.15 in reals, 0.15000000000000002 in floats (0.1 + 0.2)
    // p: (3/10 + 0/10) / 2 = 0.15
    // both 150,000 ppm -> tie -> p (raw floats would have picked q)
    candidates: [server("q", [10, 10], [0, 2]), server("p", [10, 10], [2, 0])],
    demand: [1, 0],
    expected: "p",
  },
];

describe("placement strategies", () => {
  for (const c of cases) {
    it(c.name, () => {
      const verdict = place(c.candidates, request(c.demand, { strategy: c.strategy }));
      assert.deepEqual(verdict, { ok: true, servers: [c.expected] });
      const reversed = place([...c.candidates].reverse(), request(c.demand, { strategy: c.strategy }));
      assert.deepEqual(reversed, verdict);
    });
  }

  describe("scores (parts per million)", () => {
    const table: { strategy: Strategy; candidate: Candidate; demand: [number, number]; score: number }[] = [
      // (6+2)/8 = 1.0, (16+8)/32 = 0.75 -> mean 0.875
      { strategy: "binpack", candidate: server("s", [8, 32], [6, 16]), demand: [2, 8], score: 875_000 },
      { strategy: "spread", candidate: server("s", [8, 32], [6, 16]), demand: [2, 8], score: 125_000 },
      // [1.0, 0.75] -> mean 0.875, stddev 0.125 -> 1 - 0.125
      { strategy: "balanced", candidate: server("s", [8, 32], [6, 16]), demand: [2, 8], score: 875_000 },
      // a server with no capacity anywhere is guarded: no dimension counted, utilisation 0
      { strategy: "binpack", candidate: server("z", [0, 0]), demand: [0, 0], score: 0 },
      { strategy: "spread", candidate: server("z", [0, 0]), demand: [0, 0], score: 1_000_000 },
      { strategy: "balanced", candidate: server("z", [0, 0]), demand: [0, 0], score: 1_000_000 },
    ];
    for (const t of table) {
      it(`${t.strategy} ${JSON.stringify(t.candidate.capacity)} -> ${t.score}`, () => {
        assert.equal(SCORERS[t.strategy](t.candidate, resources(...t.demand)), t.score);
      });
    }
  });
});
