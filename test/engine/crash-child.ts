/**
 * Child process for the crash test: reserves a VM, then announces `ready` and hangs either before
 * the controller call (mode before-apply) or after it (after-apply), waiting for SIGKILL.
 * argv: home, mode, ledger URL (default: the SQLite file in home). Its lease is CRASH_LEASE_MS
 * (default 1 s): once it is killed, nothing renews it.
 */
import * as path from "node:path";
import { Engine } from "../../provider/src/engine/engine";
import { openControllers } from "../../provider/src/controllers/registry";
import { openLedger } from "../../provider/src/ledger/open";
import type { Controllers } from "../../provider/src/controllers/types";

async function main() {
  const [home, mode, ledgerUrl = `sqlite://${path.join(home, "ledger.db")}`] = process.argv.slice(2);
  const inner = openControllers(`gitops://${path.join(home, "manifests")}`);
  const hang = () => {
    process.stdout.write("ready\n");
    return new Promise<never>(() => setInterval(() => undefined, 1000));
  };
  const controllers: Controllers = {
    url: inner.url,
    forKind(kind) {
      const c = inner.forKind(kind);
      return {
        ...c,
        get: (k, ctx) => c.get(k, ctx),
        delete: (k, ctx) => c.delete(k, ctx),
        list: (ctx) => c.list(ctx),
        apply: async (obj, ctx) => {
          if (mode === "before-apply") return hang();
          await c.apply(obj, ctx);
          return hang();
        },
      };
    },
  };
  // Liveness is by lease only: the parent waits this long after the SIGKILL before it reconciles.
  const leaseMs = Number(process.env.CRASH_LEASE_MS ?? 1_000);
  const engine = new Engine(await openLedger(ledgerUrl), controllers, leaseMs);
  await engine.create("virtual_machine", { name: "crash", tenant: "acme", group: "g", cpu_cores: 4, memory_gib: 4, disk_gib: 4 });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
