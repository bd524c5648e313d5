/** `otterscale allocations [--tenant T] [--group G] [--server S]`: who holds what, where. */
import { Command } from "commander";
import { EXIT } from "../exit-codes";
import { num } from "../output/format";
import type { Runner } from "../runner";
import { allocationViews } from "../views";

interface AllocationOptions {
  readonly tenant?: string;
  readonly group?: string;
  readonly server?: string;
}

export function allocationsCommand(run: Runner): Command {
  return new Command("allocations")
    .description("workloads and what they hold: kind, tenant, group, servers, amounts, state (pending/active/...)")
    .option("--tenant <tenant>", "only this tenant")
    .option("--group <group>", "only this group")
    .option("--server <server>", "only workloads with a replica on this server")
    .action(
      run.action<AllocationOptions>(async (ctx, o) => {
        const rows = await ctx.withEngine((e) => e.ledger.read((tx) => allocationViews(tx, o)));
        if (ctx.out.format === "json") {
          ctx.out.json({ allocations: rows });
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
          ],
          rows.map((a) => [
            a.kind,
            a.tenant,
            a.name,
            a.group,
            a.state,
            num(a.charge.cpu_cores),
            num(a.charge.memory_gib),
            num(a.charge.storage_gib),
            num(a.charge.gpus),
            a.servers.join(",") || "-",
          ]),
        );
        return EXIT.ok;
      }),
    );
}
