/**
 * Owner liveness is judged by lease only. Two processes on one ledger in separate PID namespaces
 * (host-network containers, CI runners: same hostname, colliding PIDs): one creates 100 VMs
 * while the other opens the engine again and again. Nothing the second does may take over the
 * first one's reservations: 100 of 100 creates succeed and every manifest is charged.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { seedEstate, testEngine } from "../support/estate";

const children = new Set<ChildProcess>();

/** Runs ns-child.js in a new PID namespace; resolves with its JSON line. */
function inNamespace(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", ["--pid", "--fork", "--mount-proc", process.execPath, path.join(__dirname, "ns-child.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      children.delete(child);
      if (code !== 0) return reject(new Error(`namespace child ${args[0]} exited ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()!));
      } catch {
        reject(new Error(`namespace child ${args[0]} printed no result: ${out} ${err}`));
      }
    });
  });
}

describe("liveness by lease only: two PID namespaces on one ledger", function () {
  this.timeout(180_000);
  after(() => {
    for (const c of children) c.kill("SIGKILL");
  });

  it("one process creates 100 VMs while another opens the engine repeatedly: 100 of 100 succeed", async () => {
    const { engine, home, ledgerUrl } = await testEngine();
    await seedEstate(engine, { server: { cpu_cores: 64, memory_gib: 256 } });
    await engine.close();

    const [creator, opener] = await Promise.all([inNamespace(["create", home, ledgerUrl, "100"]), inNamespace(["open", home, ledgerUrl, "60"])]);
    // Both ran as tiny PIDs of their own namespaces: exactly the collision hostname:pid probing got wrong.
    assert.ok(Number(creator.pid) < 10 && Number(opener.pid) < 10, `pids ${creator.pid} and ${opener.pid}`);
    assert.deepEqual(creator.failed, []);
    assert.equal(creator.ok, 100);
    assert.equal(opener.opened, 60);

    const { engine: after } = await testEngine(home);
    try {
      const rows = await after.ledger.read((tx) => tx.list({ kinds: ["virtual_machine"] }));
      assert.equal(rows.filter((r) => r.state === "active").length, 100);
      assert.equal((await after.controllers.forKind("virtual_machine").list()).length, 100, "every VM has its manifest");
      assert.deepEqual(await after.reconcileBackend(false), []);
      assert.equal((await after.readDataSource("tenant_usage", { tenant: "acme", group: "g" })).used_virtual_machines, 100);
    } finally {
      await after.close();
    }
  });
});
