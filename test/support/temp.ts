/**
 * Temp directories of a test run. All share one prefix, TEST_TMP_PREFIX, so CI can tell whether a
 * run left one behind (.ci/run compares `$TMPDIR/otterscale-*` before and after). Each is
 * registered and removed after the run by a mocha root hook, even when tests failed, and by a
 * process 'exit' handler when the run ends some other way. Tests may still remove theirs earlier.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const TEST_TMP_PREFIX = "otterscale-test-";

const made = new Set<string>();

/** A fresh directory `$TMPDIR/otterscale-test-<name>XXXXXX`, removed after the run. */
export function testTempDir(name = ""): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${TEST_TMP_PREFIX}${name}`));
  made.add(dir);
  return dir;
}

/** Removes every directory `testTempDir` made (those already gone are fine). */
export function removeTestTempDirs(): void {
  for (const dir of made) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      process.stderr.write(`could not remove test temp dir ${dir}: ${(e as Error).message}\n`);
    }
  }
  made.clear();
}

// Under mocha (loaded with the test files), a root-level hook; outside it (benchmarks, scripts)
// only the exit handler. 'exit' handlers must be synchronous, hence rmSync.
if (typeof after === "function") after(removeTestTempDirs);
process.once("exit", removeTestTempDirs);
