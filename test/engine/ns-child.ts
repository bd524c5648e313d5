/**
 * Child of the PID-namespace test, run under `unshare --pid --fork --mount-proc` so that its PID
 * is small and collides with the other child's. argv: mode, home, ledger URL, count.
 *  - create: creates `count` VMs one by one; prints {"ok": n, "failed": [messages]}.
 *  - open:   opens the engine, reads, closes, `count` times; prints {"opened": n}.
 */
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";

async function main(): Promise<void> {
  const [mode, home, ledgerUrl, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  const config = { home, ledgerUrl, controllerUrl: `gitops://${path.join(home, "manifests")}` };
  if (mode === "create") {
    const engine = await openEngine(config);
    const failed: string[] = [];
    let ok = 0;
    for (let i = 0; i < count; i++) {
      try {
        await engine.create("virtual_machine", { name: `ns-${i}`, tenant: "acme", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 1 });
        ok++;
      } catch (e) {
        failed.push((e as Error).message);
      }
    }
    await engine.close();
    process.stdout.write(`${JSON.stringify({ pid: process.pid, ok, failed })}\n`);
    return;
  }
  let opened = 0;
  for (let i = 0; i < count; i++) {
    const engine = await openEngine(config);
    await engine.read("tenant_quota", "acme/g");
    await engine.readDataSource("tenant_usage", { tenant: "acme", group: "g" });
    await engine.close();
    opened++;
  }
  process.stdout.write(`${JSON.stringify({ pid: process.pid, opened })}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
