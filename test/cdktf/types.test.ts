/**
 * The bindings catch type errors at compile time: the repo's tsc, run on a fixture that passes a
 * string for `cpuCores`, fails and names `cpuCores`; a correct fixture compiles. The fixtures live
 * in test/fixtures/cdktf (excluded from the main build) and import the sdk sources.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot, run, tempDir, type RunResult } from "./cdktf-harness";

/** `tsc --noEmit -p <tiny tsconfig>` over one fixture, with the repo's strict settings. */
async function tscOn(fixture: string): Promise<RunResult> {
  const repo = repoRoot();
  const tmp = tempDir("cdktf-tsc-");
  try {
    const tsconfig = {
      compilerOptions: {
        target: "ES2023",
        module: "commonjs",
        moduleResolution: "node",
        lib: ["ES2023"],
        strict: true,
        noImplicitOverride: true,
        noUnusedLocals: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
        typeRoots: [path.join(repo, "node_modules", "@types")],
      },
      files: [path.join(repo, "test", "fixtures", "cdktf", fixture)],
    };
    writeFileSync(path.join(tmp.dir, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = require.resolve("typescript/bin/tsc", { paths: [repo] });
    // --pretty prints the related information ("expected type comes from property 'cpuCores'").
    const r = await run(process.execPath, [tsc, "-p", path.join(tmp.dir, "tsconfig.json"), "--pretty", "true"], { cwd: repo, timeoutMs: 120_000 });
    return { ...r, stdout: r.stdout.replace(/\x1b\[[0-9;]*m/g, "") };
  } finally {
    tmp.close();
  }
}

describe("cdktf bindings are typed", function () {
  this.timeout(120_000);
  let bad: RunResult;
  let good: RunResult;
  before(async () => {
    [bad, good] = await Promise.all([tscOn("bad-cpu-cores.ts"), tscOn("good.ts")]);
  });

  it("a string for cpuCores fails tsc, and the error names cpuCores", () => {
    assert.notEqual(bad.code, 0, "tsc accepted a string for cpuCores");
    const errors = bad.stdout.split("\n").filter((l) => /error TS\d+/.test(l));
    assert.equal(errors.length, 1, bad.stdout);
    assert.match(errors[0], /bad-cpu-cores\.ts:12:3 - error TS2322: Type 'string' is not assignable to type 'number'/);
    assert.match(bad.stdout, /cpuCores: "4",/, "quotes the offending line");
    assert.match(bad.stdout, /The expected type comes from property 'cpuCores' which is declared here on type 'VirtualMachineConfig'/);
    assert.match(bad.stdout, /Found 1 error in test\/fixtures\/cdktf\/bad-cpu-cores\.ts:12/);
  });

  it("the correct fixture (VM, Estate helper, data source) compiles", () => {
    assert.equal(good.code, 0, good.stdout + good.stderr);
  });
});
