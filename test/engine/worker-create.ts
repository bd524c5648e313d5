/**
 * Child process for the multi-process tests: creates N one-core VMs named <prefix>-<i> on the
 * ledger of argv[2] (argv[5] = ledger URL, default the SQLite file in that home) and prints
 * {ok, quota, unplaceable, deleted, other} as JSON. Mode (argv[6]) `mixed`: every even-numbered
 * VM that was created is deleted again right away, so creates and deletes interleave. argv[7]
 * names the controller (`gitops`, the default, or `handoff`).
 */
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";
import { controllerUrlFor, type ControllerKind } from "../support/estate";

async function main() {
  const [home, prefix, count, ledgerUrl = `sqlite://${path.join(home, "ledger.db")}`, mode = "create", controller = "gitops"] = process.argv.slice(2);
  const engine = await openEngine({ home, ledgerUrl, controllerUrl: controllerUrlFor(home, controller as ControllerKind) });
  const out = { ok: 0, quota: 0, unplaceable: 0, deleted: 0, other: [] as string[] };
  await Promise.all(
    Array.from({ length: Number(count) }, async (_, i) => {
      try {
        await engine.create("virtual_machine", { name: `${prefix}-${i}`, tenant: "acme", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 1 });
        out.ok++;
        if (mode === "mixed" && i % 2 === 0) {
          await engine.delete("virtual_machine", `acme/${prefix}-${i}`);
          out.deleted++;
        }
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "quota_exceeded") out.quota++;
        else if (code === "unplaceable") out.unplaceable++;
        else out.other.push(String((e as Error).message));
      }
    }),
  );
  await engine.close();
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
