/** `otterscale inventory`: servers and groups with capacity, allocated and free per dimension. */
import { Command } from "commander";
import { EXIT } from "../exit-codes";
import { num } from "../output/format";
import type { Column } from "../output/table";
import type { Runner } from "../runner";
import type { Dimensions } from "../../api";

/** `allocated/capacity (free F)`, e.g. `12/32 (20 free)`. */
export const usageCell = (allocated: Dimensions, capacity: Dimensions, d: keyof Dimensions): string =>
  `${num(allocated[d])}/${num(capacity[d])} (${num(capacity[d] - allocated[d])} free)`;

const DIM_COLUMNS: Column[] = [
  { header: "CPU CORES", align: "right" },
  { header: "MEMORY GIB", align: "right" },
  { header: "STORAGE GIB", align: "right" },
  { header: "GPUS", align: "right" },
];
const DIMS = ["cpu_cores", "memory_gib", "storage_gib", "gpus"] as const;

export function inventoryCommand(run: Runner): Command {
  return new Command("inventory")
    .description("servers and groups: capacity, allocated and free per dimension, maintenance, rack/zone")
    .action(
      run.action(async (ctx) => {
        const { servers, groups } = await ctx.withEngine((e) => e.queries.inventory());
        if (ctx.out.format === "json") {
          ctx.out.json({ servers, groups });
          return EXIT.ok;
        }
        ctx.out.table(
          [{ header: "SERVER" }, { header: "RACK" }, { header: "ZONE" }, { header: "MAINTENANCE" }, { header: "WORKLOADS", align: "right" }, ...DIM_COLUMNS, { header: "OWNER" }],
          servers.map((s) => [s.name, s.rack ?? "-", s.zone ?? "-", s.maintenance ? "yes" : "no", s.workloads, ...DIMS.map((d) => usageCell(s.allocated, s.capacity, d)), s.owner ?? "-"]),
          "Servers (allocated/capacity)",
        );
        ctx.out.text("");
        ctx.out.table(
          [{ header: "GROUP" }, { header: "STRATEGY" }, { header: "MEMBERS", align: "right" }, ...DIM_COLUMNS, { header: "SERVERS" }, { header: "OWNER" }],
          groups.map((g) => [g.name, g.placement_strategy, g.members.length, ...DIMS.map((d) => usageCell(g.allocated, g.total, d)), g.members.join(","), g.owner ?? "-"]),
          "Groups (allocated/capacity)",
        );
        return EXIT.ok;
      }),
    );
}
