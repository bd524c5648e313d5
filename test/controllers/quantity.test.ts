import assert from "node:assert/strict";
import fc from "fast-check";
import { cpuQuantity, gibOf, gibQuantity, parseQuantity, unitsOf } from "../../provider/src/controllers/render/quantity";

describe("controllers/render/quantity", () => {
  // GiB -> quantity: whole Gi, else whole Mi (milli-GiB * 1024 / 1000), else decimal Gi.
  const gib: [number, string][] = [
    [8, "8Gi"],
    [1, "1Gi"],
    [1.5, "1536Mi"], // 1500 * 1024 / 1000 = 1536
    [0.25, "256Mi"], // 250 * 1024 / 1000 = 256
    [0.125, "128Mi"], // 125 * 1024 / 1000 = 128
    [0.1, "0.1Gi"], // 100 * 1024 / 1000 = 102.4 -> not whole Mi
    [0.001, "0.001Gi"],
    [2.75, "2816Mi"], // 2750 * 1024 / 1000 = 2816
    [10000000, "10000000Gi"],
  ];
  for (const [value, expected] of gib) {
    it(`gibQuantity(${value}) = ${expected} and reads back`, () => {
      assert.equal(gibQuantity(value), expected);
      assert.equal(gibOf(expected), value);
    });
  }

  const cpu: [number, string][] = [
    [4, "4"],
    [0.5, "500m"],
    [1.25, "1250m"],
    [0.001, "1m"],
    [0, "0"],
  ];
  for (const [value, expected] of cpu) {
    it(`cpuQuantity(${value}) = ${expected} and reads back`, () => {
      assert.equal(cpuQuantity(value), expected);
      assert.equal(unitsOf(expected), value);
    });
  }

  const parsed: [unknown, number | undefined][] = [
    ["1536Mi", 1536 * 2 ** 20],
    ["1Ki", 1024],
    ["2Ti", 2 * 2 ** 40],
    ["500m", 0.5],
    ["1k", 1000],
    ["2e3", 2000],
    ["1.5G", 1.5e9],
    [7, 7],
    ["", undefined],
    ["12 Gi", undefined],
    ["lots", undefined],
    [null, undefined],
  ];
  for (const [q, expected] of parsed) {
    it(`parseQuantity(${JSON.stringify(q)}) = ${expected}`, () => assert.equal(parseQuantity(q), expected));
  }

  it("gibOf reads decimal units to 3 decimals (1G = 0.931 GiB)", () => {
    // 1e9 / 2^30 = 0.93132... -> 0.931
    assert.equal(gibOf("1G"), 0.931);
  });

  it("every schema GiB value (3 decimals) survives render -> parse exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), (milli) => {
        const value = milli / 1000;
        assert.equal(gibOf(gibQuantity(value)), value);
      }),
      { numRuns: 2000 },
    );
  });

  it("every schema core count (3 decimals) survives render -> parse exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), (milli) => {
        const value = milli / 1000;
        assert.equal(unitsOf(cpuQuantity(value)), value);
      }),
      { numRuns: 2000 },
    );
  });
});
