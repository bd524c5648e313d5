/**
 * `otterscale inventory | head -1`: the reader closes the pipe after one line. That is a normal
 * end for a command-line tool: exit 0, no stack trace (it crashed with EPIPE before).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { testEngine } from "../support/estate";
import { cliMain } from "./cli-harness";

describe("otterscale CLI: a reader that closes the pipe early", function () {
  this.timeout(60_000);

  it("`-o json inventory | head -1` ends quietly with exit 0", async () => {
    const { engine, home } = await testEngine();
    // Enough rows that the output is still being written when the reader goes away.
    for (let i = 0; i < 400; i++) await engine.create("server", { name: `s${i}`, cpu_cores: 8, memory_gib: 8, storage_gib: 8, labels: { note: "x".repeat(60) } });
    await engine.close();
    const result = await new Promise<{ code: number | null; stderr: string; sh: number | null }>((resolve, reject) => {
      const sh = spawn("bash", ["-c", `"${process.execPath}" "${cliMain()}" -o json inventory | head -1 >/dev/null; echo "\${PIPESTATUS[0]}" >&3`], {
        env: { ...process.env, OTTERSCALE_HOME: home },
        stdio: ["ignore", "ignore", "pipe", "pipe"],
      });
      let stderr = "";
      let code = "";
      sh.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
      (sh.stdio[3] as NodeJS.ReadableStream).on("data", (b: Buffer) => (code += b.toString()));
      sh.on("error", reject);
      sh.on("close", (shCode) => resolve({ code: Number(code.trim()), stderr, sh: shCode }));
    });
    assert.equal(result.stderr, "", "no stack trace, no message");
    assert.equal(result.code, 0, "the CLI exits 0");
  });
});
