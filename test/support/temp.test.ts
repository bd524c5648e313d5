/**
 * Test temp directories are removed however the run ends: a failing mocha run (root hook), or a
 * process that exits or crashes outside mocha (exit handler). Each case runs in a child process
 * with its own TMPDIR, which must be empty afterwards.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { TEST_TMP_PREFIX, testTempDir } from "./temp";

const TEMP_JS = path.join(__dirname, "temp.js");
const MOCHA = require.resolve("mocha/bin/mocha.js");

/** Runs `args` with node, TMPDIR set to a fresh directory; returns what is left in it. */
function leftAfter(args: string[]): { left: string[]; stdout: string; status: number | null } {
  const tmp = testTempDir("tmpdir-");
  const r = spawnSync(process.execPath, args, { env: { ...process.env, TMPDIR: tmp }, encoding: "utf8", timeout: 30_000 });
  return { left: readdirSync(tmp), stdout: r.stdout, status: r.status };
}

describe("test temp directories", function () {
  this.timeout(30_000);

  it("carry the one prefix CI looks for", () => {
    assert.ok(path.basename(testTempDir("x-")).startsWith(`${TEST_TMP_PREFIX}x-`));
  });

  it("are removed after a mocha run whose tests failed", () => {
    const spec = path.join(testTempDir("spec-"), "failing.spec.js");
    writeFileSync(spec, `const { testTempDir } = require(${JSON.stringify(TEMP_JS)});\nit("fails", () => { console.log("made " + testTempDir("in-failing-")); throw new Error("boom"); });\n`);
    const r = leftAfter([MOCHA, "--no-config", "--reporter", "dot", spec]);
    assert.notEqual(r.status, 0, "the run failed");
    assert.match(r.stdout, new RegExp(`made .*${TEST_TMP_PREFIX}in-failing-`));
    assert.deepEqual(r.left, []);
  });

  for (const [how, code] of [
    ["exits", "process.exit(3)"],
    ["crashes", "throw new Error('crash')"],
  ]) {
    it(`are removed when a process outside mocha ${how}`, () => {
      const r = leftAfter(["-e", `const { testTempDir } = require(${JSON.stringify(TEMP_JS)}); console.log(testTempDir("outside-")); ${code}`]);
      assert.notEqual(r.status, 0);
      assert.match(r.stdout, new RegExp(TEST_TMP_PREFIX));
      assert.deepEqual(r.left, []);
    });
  }
});
