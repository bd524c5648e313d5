/** `otterscale allocations [--tenant T] [--group G] [--server S]`: who holds what, where. */
import { Command } from "commander";
import { EXIT } from "../exit-codes";
import { num } from "../output/format";
import type { Runner } from "../runner";

interface AllocationOptions {
  readonly tenant?: string;
  readonly group?: string;
  readonly server?: string;
}

export function allocationsCommand(run: Runner): Command {
  return new Command("allocations")
    .description("workloads and what they hold: kind, tenant, group, servers, amounts, state (pending/active/...; `missing` when the backend lost the object but the ledger still holds its allocation)")
    .option("--tenant <tenant>", "only this tenant")
    .option("--group <group>", "only this group")
    .option("--server <server>", "only workloads with a replica on this server")
    .action(
      run.action<AllocationOptions>(async (ctx, o) => {
        const { rows, missing, backendError } = await ctx.withEngine(async (e) => {
          const rows = await e.queries.allocations(o);
          // Read-only: the backend is asked what it has; the ledger keeps what it charges.
          const found = await e.reconcileBackend(false).then(
            (f) => ({ missing: new Set(f.filter((x) => x.finding === "missing").map((x) => `${x.kind}/${x.key}`)), backendError: undefined }),
            (err: Error) => ({ missing: undefined, backendError: err.message }),
          );
          return { rows, ...found };
        });
        if (backendError) ctx.out.progress(`allocations: could not compare with the backend (${backendError}); backend presence unknown`);
        const backend = (a: { kind: string; tenant: string; name: string }) => (!missing ? "unknown" : missing.has(`${a.kind}/${a.tenant}/${a.name}`) ? "missing" : "present");
        if (ctx.out.format === "json") {
          ctx.out.json({ allocations: rows.map((a) => ({ ...a, backend: backend(a) })) });
          return EXIT.ok;
        }
        ctx.out.table(
          [
            { header: "KIND" },
            { header: "TENANT" },
            { header: "NAME" },
            { header: "GROUP" },
            { header: "STATE" },
            { header: "CPU CORES", align: "right" },
            { header: "MEMORY GIB", align: "right" },
            { header: "STORAGE GIB", align: "right" },
            { header: "GPUS", align: "right" },
            { header: "SERVERS" },
            { header: "OWNER" },
          ],
          rows.map((a) => [
            a.kind,
            a.tenant,
            a.name,
            a.group,
            backend(a) === "missing" ? `${a.state} (missing)` : a.state,
            num(a.charge.cpu_cores),
            num(a.charge.memory_gib),
            num(a.charge.storage_gib),
            num(a.charge.gpus),
            a.servers.join(",") || "-",
            a.owner ?? "-",
          ]),
        );
        return EXIT.ok;
      }),
    );
}
