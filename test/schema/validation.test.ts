import assert from "node:assert/strict";
import { displayPath } from "../../provider/src/domain/errors";
import * as fs from "node:fs";
import * as path from "node:path";
import { manifests, rejects, seedEstate, testEngine, vm } from "../support/estate";
import type { ValidateFunction } from "ajv";
import { newAjv, schemaHash } from "../../provider/src/catalog/validate";
import { inputSchemaOf } from "../../provider/src/catalog/catalog";

describe("bad input is rejected with the attribute path, and nothing is written", () => {
  // [what, kind, args, expected path fragment in the problems]
  const cases: [string, string, Record<string, unknown>, string][] = [
    ["negative cpu", "virtual_machine", vm("a", { cpu_cores: -2 }), "cpu_cores"],
    ["zero memory", "virtual_machine", vm("a", { memory_gib: 0 }), "memory_gib"],
    ["NaN disk", "virtual_machine", vm("a", { disk_gib: NaN }), "disk_gib"],
    ["Infinity disk", "virtual_machine", vm("a", { disk_gib: Infinity }), "disk_gib"],
    ["huge memory", "virtual_machine", vm("a", { memory_gib: 1e12 }), "memory_gib"],
    ["fractional vCPUs", "virtual_machine", vm("a", { cpu_cores: 1.5 }), "cpu_cores"],
    ["too many decimals", "virtual_machine", vm("a", { memory_gib: 1.0001 }), "memory_gib"],
    ["uppercase name", "virtual_machine", vm("Web_1"), "name"],
    ["name too long", "virtual_machine", vm("a".repeat(64)), "name"],
    ["unknown run strategy", "virtual_machine", vm("a", { run_strategy: "Sometimes" }), "run_strategy"],
    ["unknown spread domain", "virtual_machine", vm("a", { placement: { anti_affinity_group: "x", spread_domain: "diagonal" } }), "placement.spread_domain"],
    ["wrong type", "virtual_machine", vm("a", { cpu_cores: "four" }), "cpu_cores"],
    ["missing required", "virtual_machine", { name: "a", tenant: "acme", group: "g" }, "cpu_cores"],
    ["unknown attribute", "virtual_machine", vm("a", { colour: "blue" }), "colour"],
    ["bad maintainer", "virtual_machine", vm("a", { maintainers: ["alice"] }), "maintainers.0"],
    ["unknown strategy", "baremetal_group", { name: "g2", placement_strategy: "random" }, "placement_strategy"],
    ["negative quota", "tenant_quota", { tenant: "t", group: "g", cpu_cores: -1 }, "cpu_cores"],
    ["EC and replicas together", "block_pool", { name: "p", tenant: "acme", group: "g", size_gib: 10, replicas: 2, erasure_coded: { data_chunks: 2, coding_chunks: 1 } }, "replicas"],
    ["EC with too few data chunks", "block_pool", { name: "p", tenant: "acme", group: "g", size_gib: 10, erasure_coded: { data_chunks: 1, coding_chunks: 1 } }, "erasure_coded.data_chunks"],
    ["reserved above total", "server", { name: "sx", cpu_cores: 4, reserved_cpu_cores: 8, memory_gib: 8, storage_gib: 8 }, "reserved_cpu_cores"],
    ["ratio zero", "server", { name: "sx", cpu_cores: 4, memory_gib: 8, storage_gib: 8, cpu_allocation_ratio: 0 }, "cpu_allocation_ratio"],
  ];

  let ctx: Awaited<ReturnType<typeof testEngine>>;
  let initial: string[];
  before(async () => {
    ctx = await testEngine();
    await seedEstate(ctx.engine);
    initial = manifests(ctx.home);
  });
  after(() => ctx.engine.close());

  for (const [what, kind, args, pathFragment] of cases) {
    it(`${what} -> error on ${pathFragment}`, async () => {
      const auditBefore = (await ctx.engine.ledger.audit()).length;
      const err = await rejects(ctx.engine.create(kind as never, args));
      assert.equal(err.code, "invalid_input");
      assert.ok(
        err.problems.some((p) => p.path === pathFragment),
        `expected a problem on ${pathFragment}, got ${JSON.stringify(err.problems)}`,
      );
      // The message shows the path as users write it (list indexes in brackets: maintainers[0]).
      assert.ok(err.message.includes(displayPath(pathFragment)), err.message);
      assert.doesNotMatch(err.message, /\n\s+at /, "no stack trace in the message");
      assert.equal((await ctx.engine.ledger.audit()).length, auditBefore, "nothing written to the ledger");
      assert.deepEqual(manifests(ctx.home), initial, "no manifest written");
    });
  }

  it("a non-object input is an error, not a crash", async () => {
    const err = await rejects(ctx.engine.create("server", "s1" as never));
    assert.equal(err.code, "invalid_input");
  });
});

describe("derived TypeScript types", () => {
  it("provider/src/catalog/types.gen.ts is current with schema/*.json (run npm run gen:types)", async () => {
    const root = path.resolve(__dirname, "../../..");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { render } = require(path.join(root, "scripts/gen-types.js")) as { render(): Promise<string> };
    const committed = fs.readFileSync(path.join(root, "provider/src/catalog/types.gen.ts"), "utf8");
    assert.equal(await render(), committed);
  });

  it("provider/src/catalog/validators.gen.ts is current with schema/*.json (run npm run gen:types)", () => {
    const root = path.resolve(__dirname, "../../..");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { renderValidators } = require(path.join(root, "scripts/gen-types.js")) as { renderValidators(): string };
    const committed = fs.readFileSync(path.join(root, "provider/src/catalog/validators.gen.ts"), "utf8");
    assert.ok(renderValidators() === committed, "validators.gen.ts differs from what npm run gen:types writes");
  });

  it("the generated validators judge as ajv compiling the schema does: verdict, errors, defaults applied", () => {
    const gen = require("../../provider/src/catalog/validators.gen") as { validators: Record<string, ValidateFunction>; hashes: Record<string, string> };
    const a = newAjv();
    const inputs: Record<string, unknown>[] = [
      {},
      vm("a"),
      vm("Web_1", { cpu_cores: 1.5, memory_gib: 1.0001, disk_gib: "x", extra: 1 }),
      vm("a", { placement: { anti_affinity_group: "x", spread_domain: "diagonal" }, user_data: 5 }),
      { name: "s1", rack: "r1", cpu_cores: 0.0005, memory_gib: 1, storage_gib: 1 },
      { tenant: "t", group: "g", cpu_cores: 4 },
    ];
    for (const kind of ["virtual_machine", "server", "baremetal_group", "tenant_quota", "vcluster", "block_pool", "provider"] as const) {
      assert.equal(gen.hashes[kind], schemaHash(kind), `${kind}: made from this schema`);
      const compiled = a.compile(inputSchemaOf(kind));
      for (const input of inputs) {
        const [x, y] = [structuredClone(input), structuredClone(input)];
        assert.equal(gen.validators[kind](x), compiled(y), `${kind} ${JSON.stringify(input)}`);
        assert.deepEqual(gen.validators[kind].errors, compiled.errors, `${kind} ${JSON.stringify(input)}: errors`);
        assert.deepEqual(x, y, `${kind} ${JSON.stringify(input)}: defaults`);
      }
    }
  });
});
