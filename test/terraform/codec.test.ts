import { strict as assert } from "node:assert";
import fc from "fast-check";
import { encode } from "@msgpack/msgpack";
import { decodeValue, encodeValue, fromJsonValue } from "../../provider/src/terraform/codec/msgpack";
import { canonical, isUnknown, UNKNOWN, valuesEqual, type TfType, type TfValue } from "../../provider/src/terraform/codec/types";
import { normalize } from "../../provider/src/terraform/plan";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("terraform/codec msgpack", () => {
  it("encodes unknown as fixext1 type 0 (d4 00 00)", () => {
    assert.equal(hex(encodeValue(UNKNOWN, "string")), "d40000");
  });

  it("decodes any ext code as unknown (0 plain, 12 refined)", () => {
    assert.ok(isUnknown(decodeValue(Buffer.from("d40000", "hex"), "string")));
    // ext 12 with a refinement payload, as Terraform sends for refined unknowns (e.g. not-null)
    assert.ok(isUnknown(decodeValue(Buffer.from("c7030c81010a", "hex"), "number")));
    const obj = decodeValue(Buffer.from("82a161d40000a162c7010c00", "hex"), ["object", { a: "string", b: "number" }]);
    assert.ok(isUnknown((obj as Record<string, TfValue>).a));
    assert.ok(isUnknown((obj as Record<string, TfValue>).b));
  });

  it("writes objects with every type attribute, sorted, absent as nil", () => {
    // {a: 1, b: unknown, c: nil}
    assert.equal(hex(encodeValue({ b: UNKNOWN, a: 1 }, ["object", { c: "string", a: "number", b: "string" }])), "83a16101a162d40000a163c0");
  });

  const numbers: [string, number | string, TfValue][] = [
    // [case, msgpack raw from Terraform, decoded]
    ["int", 42, 42],
    ["negative int", -7, -7],
    ["float64", 1.5, 1.5],
    ["decimal string (cty: not exact in float64)", "0.1", 0.1],
    ["big decimal string", "1e+21", 1e21],
  ];
  for (const [name, raw, want] of numbers) {
    it(`decodes number: ${name}`, () => assert.equal(decodeValue(encode(raw), "number"), want));
  }

  it("encodes integers as ints and fractions as exact decimal strings", () => {
    assert.equal(hex(encodeValue(4, "number")), "04");
    assert.equal(hex(encodeValue(0.1, "number")), Buffer.from(encode("0.1")).toString("hex"));
    assert.equal(hex(encodeValue(2.5, "number")), Buffer.from(encode("2.5")).toString("hex"));
  });

  it("maps and sets keep their shape", () => {
    const t: TfType = ["object", { labels: ["map", "string"], racks: ["set", "string"] }];
    const v = { labels: { pool: "gpu", tier: "a" }, racks: ["r1", "r2"] };
    assert.deepEqual(decodeValue(encodeValue(v, t), t), v);
  });

  it("an empty DynamicValue is null", () => assert.equal(decodeValue(Buffer.alloc(0), "string"), null));

  it("reads JSON raw state with the current type (extra attributes dropped, missing null)", () => {
    const t: TfType = ["object", { id: "string", cpu_cores: "number", gone: "string" }];
    assert.deepEqual(fromJsonValue({ id: "a/b", cpu_cores: 0.25, removed_attr: 1 }, t), { id: "a/b", cpu_cores: 0.25, gone: null });
  });

  it("rejects a value of the wrong type", () => assert.throws(() => encodeValue("x" as TfValue, "number"), /expected number/));
});

// ---- property: any value of any type round-trips ----------------------------------------------

const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);

const typeArb: fc.Arbitrary<TfType> = fc.letrec<{ t: TfType }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<TfType>("string", "number", "bool"),
    fc.tuple(fc.constantFrom("list", "set", "map") as fc.Arbitrary<"list" | "set" | "map">, tie("t")).map(([k, e]) => [k, e] as TfType),
    fc.dictionary(ident, tie("t"), { minKeys: 1, maxKeys: 4 }).map((attrs) => ["object", attrs] as TfType),
  ),
})).t;

function valueArb(t: TfType, depth = 0): fc.Arbitrary<TfValue> {
  const leaf = (): fc.Arbitrary<TfValue> => {
    if (t === "string") return fc.string();
    if (t === "number") return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0.1, 1e21, 0.001));
    if (t === "bool") return fc.boolean();
    const [kind, inner] = t as readonly [string, unknown];
    if (kind === "list" || kind === "set") return fc.array(valueArb(inner as TfType, depth + 1), { maxLength: 3 });
    if (kind === "map") return fc.dictionary(ident, valueArb(inner as TfType, depth + 1), { maxKeys: 3 });
    const attrs = inner as Record<string, TfType>;
    return fc.record(Object.fromEntries(Object.entries(attrs).map(([k, at]) => [k, valueArb(at, depth + 1)]))) as fc.Arbitrary<TfValue>;
  };
  return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(UNKNOWN as TfValue) }, { weight: 6, arbitrary: leaf() });
}

describe("terraform/codec properties", () => {
  it("decode(encode(v, t), t) equals v for random types and values", () => {
    fc.assert(
      fc.property(
        typeArb.chain((t) => fc.tuple(fc.constant(t), valueArb(t))),
        ([t, v]) => {
          const back = decodeValue(encodeValue(v, t), t);
          assert.equal(canonical(back), canonical(v), `type ${JSON.stringify(t)}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a value encoded earlier keeps its bytes when later ones are encoded (the encoder's buffer is shared)", () => {
    fc.assert(
      fc.property(
        typeArb.chain((t) => fc.tuple(fc.constant(t), valueArb(t), valueArb(t))),
        ([t, a, b]) => {
          const first = encodeValue(a, t);
          const before = hex(first);
          encodeValue(b, t);
          assert.equal(hex(first), before);
          assert.equal(hex(first), hex(encodeValue(a, t)), "the same value, the same bytes");
        },
      ),
      { numRuns: 200 },
    );
  });

  // UpgradeResourceState returns the JSON state as read, without normalize: it relies on this.
  it("a JSON state read with a type already has that type's shape (normalize changes nothing)", () => {
    const known = (v: TfValue): boolean => !isUnknown(v) && (v === null || typeof v !== "object" || Object.values(v).every(known));
    fc.assert(
      fc.property(
        typeArb.chain((t) => fc.tuple(fc.constant(t), valueArb(t).filter(known))),
        ([t, v]) => {
          const read = fromJsonValue(JSON.parse(JSON.stringify(v)), t);
          assert.deepEqual(normalize(read, t), read, `type ${JSON.stringify(t)}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("valuesEqual is reflexive on wholly known values and order-free only for sets", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 2, maxLength: 5 }), (xs) => {
        const rev = [...xs].reverse();
        assert.ok(valuesEqual(xs, rev, ["set", "string"]));
        assert.equal(valuesEqual(xs, rev, ["list", "string"]), canonical(xs) === canonical(rev));
      }),
    );
  });
});
