/**
 * Input hardening (issue 11): inputs that are not plain JSON, that name `__proto__` /
 * `constructor` / `prototype`, or whose amounts are finer than the ledger's 0.001 are refused with
 * an `invalid_input` error naming the attribute path, before anything is copied or written. The
 * engine tests replay the reported defect (VMs slipping past a 2-core quota through `__proto__`);
 * the unit tests pin each rule of the one door, `validateInput`, and that the Terraform and Pulumi
 * front ends reach the same rule.
 */
import assert from "node:assert/strict";
import { displayPath } from "../../provider/src/domain/errors";
import * as path from "node:path";
import { initLedger } from "../../provider/src/ledger/open";
import { encode } from "@msgpack/msgpack";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { problemsOf, validateInput } from "../../provider/src/catalog/validate";
import { decodeValue, fromJsonValue } from "../../provider/src/terraform/codec/msgpack";
import { resourceSpec } from "../../provider/src/terraform/schema";
import { validateConfig } from "../../provider/src/terraform/validate-config";
import { check, closeEngines } from "../../sdk/pulumi/runtime";
import { manifests, rejects, seedEstate, server, tempHome, testEngine, vm } from "../support/estate";

type Kind = Parameters<typeof validateInput>[0];

/** The `invalid_input` error `validateInput` throws, or a failure when it throws anything else or nothing. */
function refusal(kind: Kind, input: unknown): OtterscaleError {
  try {
    validateInput(kind, input);
  } catch (e) {
    assert.ok(OtterscaleError.isInstance(e), `expected an OtterscaleError, got ${String(e)}`);
    assert.equal(e.code, "invalid_input");
    return e;
  }
  throw new Error("expected the input to be refused, but it passed");
}

function assertNames(err: { message: string; problems: readonly { path?: string; message: string }[] }, where: string, says: RegExp): void {
  const problem = err.problems.find((p) => p.path === where);
  assert.ok(problem, `expected a problem at ${where}, got ${JSON.stringify(err.problems)}`);
  assert.match(problem.message, says);
  // The message prints the path as users write it (gpus[0].count); the structured path stays dotted.
  assert.ok(err.message.includes(`${displayPath(where)}: `), `the message names ${displayPath(where)}: ${err.message}`);
}

const vmJson = (extra: string) => `{"name":"web","tenant":"acme","group":"g","cpu_cores":2,"memory_gib":4,"disk_gib":10${extra}}`;
const serverJson = (extra: string) => `{"name":"s9","cpu_cores":4,"memory_gib":8,"storage_gib":100${extra}}`;
const UNIT = /finer than the ledger's unit of 0\.001/;

describe("input hardening through the engine: refused by path, nothing written", () => {
  // [what, kind, input, path named, what the problem says]
  const cases: [string, string, () => unknown, string, RegExp][] = [
    // The reported defect: the attributes under __proto__ passed validation through the prototype.
    ["__proto__ at the top (JSON.parse)", "virtual_machine", () => JSON.parse(`{"name":"web","tenant":"acme","group":"g","disk_gib":10,"__proto__":{"cpu_cores":2,"memory_gib":4}}`), "__proto__", /"__proto__" is not allowed/],
    ["__proto__ in placement (depth 2)", "virtual_machine", () => JSON.parse(vmJson(`,"placement":{"__proto__":{"server":"s1"}}`)), "placement.__proto__", /"__proto__" is not allowed/],
    ["__proto__ as a label key (a map)", "server", () => JSON.parse(serverJson(`,"labels":{"__proto__":{"tier":"gold"}}`)), "labels.__proto__", /"__proto__" is not allowed/],
    ["__proto__ in an array of objects", "server", () => JSON.parse(serverJson(`,"gpus":[{"model":"a100","count":1,"__proto__":{"count":64}}]`)), "gpus.0.__proto__", /"__proto__" is not allowed/],
    ["constructor in selector labels (depth 3)", "baremetal_group", () => JSON.parse(`{"name":"g2","selector":{"labels":{"constructor":"x"}}}`), "selector.labels.constructor", /"constructor" is not allowed/],
    ["prototype as an attribute", "virtual_machine", () => JSON.parse(vmJson(`,"prototype":{"cpu_cores":1}`)), "prototype", /"prototype" is not allowed/],
    ["a nested object literal with a __proto__", "virtual_machine", () => vm("web", { placement: { __proto__: { server: "s1" } } }), "placement", /prototype is not Object\.prototype/],
    ["memory 1e-300 (was charged as 0)", "virtual_machine", () => vm("web", { memory_gib: 1e-300 }), "memory_gib", UNIT],
    ["quota cpu 0.0001", "tenant_quota", () => ({ tenant: "globex", group: "g", cpu_cores: 0.0001 }), "cpu_cores", UNIT],
    ["reserved cpu 1.0005", "server", () => server("s9", { reserved_cpu_cores: 1.0005 }), "reserved_cpu_cores", UNIT],
    ["pool size 1e-300", "block_pool", () => ({ name: "p", tenant: "acme", group: "g", size_gib: 1e-300 }), "size_gib", UNIT],
    ["allocation ratio 1.0001", "server", () => server("s9", { cpu_allocation_ratio: 1.0001 }), "cpu_allocation_ratio", UNIT],
    ["a BigInt disk (was a raw TypeError)", "virtual_machine", () => vm("web", { disk_gib: 10n }), "disk_gib", /is a BigInt \(10n\)/],
    ["a BigInt label value", "server", () => server("s9", { labels: { tier: 1n } }), "labels.tier", /is a BigInt/],
  ];

  let ctx: Awaited<ReturnType<typeof testEngine>>;
  const usage = () => ctx.engine.readDataSource("tenant_usage", { tenant: "acme", group: "g" });
  before(async () => {
    ctx = await testEngine();
    await seedEstate(ctx.engine, { quota: { cpu_cores: 2, memory_gib: 8, storage_gib: 100 } });
  });
  after(() => ctx.engine.close());

  for (const [what, kind, input, where, says] of cases) {
    it(`${what} -> invalid_input at ${where}`, async () => {
      const auditBefore = (await ctx.engine.ledger.audit()).length;
      const usageBefore = await usage();
      const files = manifests(ctx.home);
      const err = await rejects(ctx.engine.create(kind as never, input()));
      assert.ok(OtterscaleError.isInstance(err), `not a raw error: ${String(err)}`);
      assert.equal(err.code, "invalid_input");
      assertNames(err, where, says);
      assert.equal((await ctx.engine.ledger.audit()).length, auditBefore, "nothing written to the ledger");
      assert.deepEqual(await usage(), usageBefore, "usage unchanged");
      assert.deepEqual(manifests(ctx.home), files, "no manifest written");
    });
  }

  it("an object literal whose prototype carries the attributes is refused as a whole", async () => {
    const err = await rejects(ctx.engine.create("virtual_machine", { __proto__: { cpu_cores: 2, memory_gib: 4 }, name: "web", tenant: "acme", group: "g", disk_gib: 10 } as never));
    assert.equal(err.code, "invalid_input");
    assert.match(err.message, /the input is an object whose prototype is not Object\.prototype/);
  });

  it("six __proto__ VMs on a 2-core quota: none is created, and the quota still holds one real 2-core VM", async () => {
    for (let i = 1; i <= 6; i++) {
      const input = JSON.parse(`{"name":"web${i}","tenant":"acme","group":"g","disk_gib":10,"__proto__":{"cpu_cores":2,"memory_gib":4}}`);
      assert.equal((await rejects(ctx.engine.create("virtual_machine", input))).code, "invalid_input");
    }
    assert.deepEqual(await ctx.engine.ledger.read((tx) => tx.list({ kinds: ["virtual_machine"] })), []);
    assert.equal((await usage()).used_cpu_cores, 0);
    await ctx.engine.create("virtual_machine", vm("real", { cpu_cores: 2, memory_gib: 4 }));
    assert.equal((await usage()).used_cpu_cores, 2);
    assert.equal((await rejects(ctx.engine.create("virtual_machine", vm("one-more", { cpu_cores: 1, memory_gib: 1 })))).code, "quota_exceeded");
  });
});

describe("validateInput: plain JSON only", () => {
  class Spec {
    cpu_cores = 4;
  }
  const cyclic: Record<string, unknown> = { tier: "gold" };
  cyclic.self = cyclic;
  const withGetter = { tier: "x" };
  Object.defineProperty(withGetter, "zone", { enumerable: true, get: () => "z1" });
  // [what, input (kind server), path, what the problem says]
  const cases: [string, () => unknown, string, RegExp][] = [
    ["BigInt", () => server("s", { memory_gib: 8n }), "memory_gib", /is a BigInt \(8n\); pass a number/],
    ["function", () => server("s", { hostname: () => "h" }), "hostname", /is a function/],
    ["symbol", () => server("s", { rack: Symbol("r1") }), "rack", /is a symbol/],
    ["Date", () => server("s", { hostname: new Date(0) }), "hostname", /is a Date/],
    ["Map as a map attribute", () => server("s", { labels: new Map([["tier", "gold"]]) }), "labels", /is a Map/],
    ["Set as a set attribute", () => server("s", { maintainers: new Set(["user:alice"]) }), "maintainers", /is a Set/],
    ["class instance", () => server("s", { bmc: new Spec() }), "bmc", /is a Spec/],
    ["Buffer", () => server("s", { hostname: Buffer.from("h") }), "hostname", /is a Buffer/],
    ["boxed number", () => server("s", { cpu_cores: new Number(4) }), "cpu_cores", /is a Number/],
    ["NaN", () => server("s", { cpu_cores: NaN }), "cpu_cores", /is NaN/],
    ["Infinity", () => server("s", { memory_gib: Infinity }), "memory_gib", /is Infinity/],
    ["-Infinity in an array of objects", () => server("s", { gpus: [{ model: "a100", count: -Infinity }] }), "gpus.0.count", /is -Infinity/],
    ["undefined inside an array", () => server("s", { maintainers: ["user:alice", undefined] }), "maintainers.1", /is undefined/],
    ["array hole", () => server("s", { maintainers: ["user:alice", , "user:bob"] }), "maintainers.1", /empty array slot/], // eslint-disable-line no-sparse-arrays
    ["getter", () => server("s", { labels: withGetter }), "labels.zone", /getter/],
    ["cycle", () => server("s", { labels: cyclic }), "labels.self", /cycle/],
    ["__proto__ (JSON.parse) at depth 1", () => JSON.parse(serverJson(`,"__proto__":{"maintenance":true}`)), "__proto__", /"__proto__" is not allowed/],
    ["__proto__ (JSON.parse) at depth 2", () => JSON.parse(serverJson(`,"bmc":{"address":"10.0.0.1","__proto__":{"password":"x"}}`)), "bmc.__proto__", /"__proto__" is not allowed/],
    ["constructor (JSON.parse) in a map", () => JSON.parse(serverJson(`,"labels":{"constructor":"x"}`)), "labels.constructor", /"constructor" is not allowed/],
    ["prototype (JSON.parse) in an array of objects", () => JSON.parse(serverJson(`,"gpus":[{"model":"a","count":1},{"model":"b","count":1,"prototype":{}}]`)), "gpus.1.prototype", /"prototype" is not allowed/],
  ];
  for (const [what, input, where, says] of cases) {
    it(`${what} -> invalid_input at ${where}`, () => assertNames(refusal("server", input()), where, says));
  }

  it("an input object built with a __proto__ literal is refused, without a path", () => {
    const err = refusal("server", { __proto__: { cpu_cores: 4 }, name: "s", memory_gib: 8, storage_gib: 10 });
    assert.deepEqual(err.problems.map((p) => p.path), [undefined]);
    assert.match(err.message, /prototype is not Object\.prototype/);
  });

  it("absurd depth is a problem, not a stack overflow", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.match(refusal("server", server("s", { maintainers: deep })).message, /nested more than 32 levels/);
  });

  it("the caller's object is left as it was", () => {
    const input = JSON.parse(serverJson(`,"labels":{"__proto__":"x"}`));
    refusal("server", input);
    assert.deepEqual(Object.keys(input.labels), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(input.labels), Object.prototype);
  });

  it("null-prototype objects and undefined attributes (unset) are fine", () => {
    const labels = Object.assign(Object.create(null) as object, { tier: "gold" });
    const out = validateInput<Record<string, unknown>>("server", server("s", { labels, rack: undefined }));
    assert.deepEqual(out.labels, { tier: "gold" });
    assert.equal("rack" in out, false);
  });
});

describe("validateInput: amounts are whole thousandths (the ledger's unit, 0.001)", () => {
  // [attribute of server, value]; every one would change when turned into thousandths.
  const refused: [string, number][] = [
    ["memory_gib", 1e-300],
    ["memory_gib", 5e-13], // ajv's multipleOf (precision 1e-9) let this one through as 0
    ["cpu_cores", 0.0001],
    ["storage_gib", 1.0005],
    ["reserved_memory_gib", 0.0005],
    ["memory_allocation_ratio", 1.0001],
  ];
  for (const [attr, value] of refused) {
    it(`${attr} = ${value} is refused, naming the field and the unit`, () => {
      const err = refusal("server", server("s", { [attr]: value }));
      assertNames(err, attr, UNIT);
      assert.match(err.message, new RegExp(`${attr}: .*0\\.001.*\\(got ${String(value).replace(/[.+-]/g, "\\$&")}\\)`));
    });
  }

  const accepted: [string, number][] = [
    ["cpu_cores", 0.5],
    ["memory_gib", 1.25],
    ["memory_gib", 0.1 + 0.2], // 300.00000000000006 thousandths: float noise, not a finer amount
    ["storage_gib", 8445578.55], // refused by ajv's absolute 1e-9 tolerance, though exactly 8445578550 thousandths
    ["storage_gib", 9999999.999],
    ["reserved_cpu_cores", 0],
    ["cpu_allocation_ratio", 1.001],
  ];
  for (const [attr, value] of accepted) {
    it(`${attr} = ${value} passes unchanged`, () => {
      assert.equal(validateInput<Record<string, unknown>>("server", server("s", { [attr]: value }))[attr], value);
    });
  }

  it("VM, vCluster, pool and quota amounts pass with decimals like 0.5 and 1.25", () => {
    validateInput("virtual_machine", vm("a", { memory_gib: 0.5, disk_gib: 1.25 }));
    validateInput("vcluster", { name: "v", tenant: "acme", group: "g", control_plane_cpu_cores: 0.5, workload_memory_gib: 1.25 });
    validateInput("block_pool", { name: "p", tenant: "acme", group: "g", size_gib: 1.25 });
    validateInput("tenant_quota", { tenant: "acme", group: "g", cpu_cores: 0.5, memory_gib: 1.25, storage_gib: 0.001 });
  });
});

describe("the front ends reach the same rule", () => {
  it("problemsOf (Terraform's ValidateResourceConfig) reports the plain-JSON problems too", () => {
    assert.deepEqual(
      problemsOf("server", JSON.parse(serverJson(`,"labels":{"__proto__":"x"}`))).map((p) => p.path),
      ["labels.__proto__"],
    );
  });

  it("Terraform: a JSON config with a __proto__ label keeps the key to the validator, which names it", () => {
    const spec = resourceSpec("otterscale_server")!;
    const config = fromJsonValue(JSON.parse(serverJson(`,"labels":{"__proto__":"x","tier":"gold"}`)), spec.type);
    const diags = validateConfig("server", spec, config);
    assert.equal(diags.length, 1, JSON.stringify(diags));
    assert.match(diags[0].detail, /^labels\.__proto__ /);
    assert.deepEqual(diags[0].path, ["labels", "__proto__"]);
  });

  it("Terraform: a msgpack value with a __proto__ map key is an invalid_input error, not a decoder crash", () => {
    const spec = resourceSpec("otterscale_server")!;
    const bytes = encode(JSON.parse(`{"name":"s9","labels":{"__proto__":"x"}}`));
    assert.throws(() => decodeValue(bytes, spec.type), (e: unknown) => OtterscaleError.isInstance(e) && e.code === "invalid_input" && /__proto__/.test(e.message));
  });

  describe("Pulumi check", () => {
    const home = tempHome();
    const settings = { ledgerUrl: `sqlite://${path.join(home, "ledger.db")}`, controllerUrl: `gitops://${path.join(home, "manifests")}` };
    before(() => initLedger(settings.ledgerUrl)); // a configured ledger must exist (typos never create ledgers)
    after(() => closeEngines());

    it("a JSON-parsed __proto__ label fails check on that property", async () => {
      const news = JSON.parse(`{"name":"s9","cpuCores":4,"memoryGib":8,"storageGib":100,"labels":{"__proto__":"x"}}`);
      const res = await check("server", {}, news, settings);
      assert.deepEqual(res.failures?.map((f) => f.property), ["labels.__proto__"]);
    });

    it("a top-level __proto__ fails check instead of becoming the inputs' prototype", async () => {
      const news = JSON.parse(`{"name":"s9","storageGib":100,"__proto__":{"cpuCores":4,"memoryGib":8}}`);
      const res = await check("server", {}, news, settings);
      assert.deepEqual(res.failures?.map((f) => f.property), ["__proto__"]);
    });

    it("an amount finer than 0.001 fails check on that property", async () => {
      const res = await check("server", {}, { name: "s9", cpuCores: 4, memoryGib: 1e-300, storageGib: 100 }, settings);
      assert.deepEqual(res.failures?.map((f) => f.property), ["memoryGib"]);
      assert.match(res.failures![0].reason, UNIT);
    });
  });
});
