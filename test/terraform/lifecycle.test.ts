/**
 * The plugin process never outlives Terraform: the real executable, started the way go-plugin
 * starts it, under a parent that the test kills or with signals sent to it.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../../provider/src/terraform/handshake";
import { watchParent } from "../../provider/src/terraform/parent-watch";
import { pluginClient } from "./grpc-client";
import { providerMain, repoRoot } from "./tf-harness";
import { alive, killAll, waitUntil } from "../support/processes";
import { testTempDir } from "../support/temp";

const BIN = path.join(repoRoot(), "bin", "terraform-provider-otterscale");
/** Plaintext (no PLUGIN_CLIENT_CERT), like a reattach session: enough for health checks. */
const pluginEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  OTTERSCALE_PROVIDER_JS: providerMain(),
  NODE_PATH: path.join(repoRoot(), "node_modules"),
  [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
  PLUGIN_PROTOCOL_VERSIONS: "6",
  PLUGIN_CLIENT_CERT: "",
  OTTERSCALE_HOME: testTempDir("lifecycle-home-"),
});

/** Resolves with the first `n` lines of a stream. */
function lines(stream: NodeJS.ReadableStream, n: number): Promise<string[]> {
  let out = "";
  return new Promise((resolve, reject) => {
    stream.on("data", (b: Buffer) => {
      out += b.toString();
      const all = out.split("\n");
      if (all.length > n) resolve(all.slice(0, n));
    });
    stream.on("end", () => reject(new Error(`stream ended after ${JSON.stringify(out)}`)));
  });
}

const portOf = (handshake: string) => Number(/^1\|6\|tcp\|127\.0\.0\.1:(\d+)\|grpc/.exec(handshake)?.[1]);
const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: string | null }>((r) => (child.exitCode !== null || child.signalCode !== null ? r({ code: child.exitCode, signal: child.signalCode }) : child.on("exit", (code, signal) => r({ code, signal }))));

describe("terraform provider process lifecycle", function () {
  this.timeout(30_000);
  const started: number[] = [];
  after(() => killAll(started));

  it("watchParent fires once when the parent PID changes, not before", async () => {
    let ppid = 4242;
    const seen: [number, number][] = [];
    const stop = watchParent((was, now) => seen.push([was, now]), { intervalMs: 10, ppid: () => ppid });
    try {
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, []);
      ppid = 1;
      await new Promise((r) => setTimeout(r, 50));
      ppid = 7;
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, [[4242, 1]]);
    } finally {
      stop();
    }
  });

  it("exits with a line on stderr when its parent (Terraform) is SIGKILLed", async () => {
    const log = path.join(testTempDir("lifecycle-log-"), "provider.stderr");
    // bash stands in for Terraform: it starts the plugin as a child, reports its PID, and waits.
    const parent = spawn("bash", ["-c", `"$0" 2>"$1" & echo $!; wait`, BIN, log], { env: pluginEnv(), stdio: ["ignore", "pipe", "inherit"] });
    started.push(parent.pid!);
    const [pidLine, handshake] = await lines(parent.stdout!, 2);
    const pid = Number(pidLine);
    started.push(pid);
    assert.ok(portOf(handshake), `a handshake line, got ${handshake}`);
    parent.kill("SIGKILL");
    await waitUntil(() => !alive(pid), 5000, `the plugin (PID ${pid}) is still running 5 s after its parent died`);
    assert.match(readFileSync(log, "utf8"), new RegExp(`Terraform \\(parent process ${parent.pid}\\) is gone.*exiting`));
  });

  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    it(`exits ${code} with a line on stderr on ${signal}`, async () => {
      const child = spawn(BIN, [], { env: pluginEnv(), stdio: ["ignore", "pipe", "pipe"] });
      started.push(child.pid!);
      let stderr = "";
      child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
      await lines(child.stdout!, 1);
      child.kill(signal);
      assert.deepEqual(await exited(child), { code, signal: null });
      assert.match(stderr, new RegExp(`received ${signal}; stopping operations in flight and exiting`));
    });
  }

  it("keeps serving on SIGINT (Terraform relays Ctrl-C as StopProvider), and still ends on Shutdown", async () => {
    const child = spawn(BIN, [], { env: pluginEnv(), stdio: ["ignore", "pipe", "pipe"] });
    started.push(child.pid!);
    const [handshake] = await lines(child.stdout!, 1);
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    const c = pluginClient(portOf(handshake));
    try {
      assert.deepEqual(await c.health("Check", { service: "plugin" }), { status: 1 });
      await c.controller("Shutdown");
      assert.deepEqual(await exited(child), { code: 0, signal: null });
    } finally {
      c.close();
    }
  });
});
