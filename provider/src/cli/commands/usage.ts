/** `otterscale usage [--tenant T] [--group G]`: quotas, use and headroom per dimension and count. */
import { Command } from "commander";
import { EXIT } from "../exit-codes";
import { bar, num } from "../output/format";
import type { Runner } from "../runner";
import { QUOTA_DIMENSIONS } from "../../api";

interface UsageOptions {
  readonly tenant?: string;
  readonly group?: string;
}

export function usageCommand(run: Runner): Command {
  return new Command("usage")
    .description("tenant quotas: limit, use and headroom per dimension and object count")
    .option("--tenant <tenant>", "only this tenant")
    .option("--group <group>", "only this group")
    .action(
      run.action<UsageOptions>(async (ctx, o) => {
        const quotas = await ctx.withEngine((e) => e.queries.quotas({ tenant: o.tenant, group: o.group }));
        if (ctx.out.format === "json") {
          ctx.out.json({ quotas });
          return EXIT.ok;
        }
        if (!quotas.length) ctx.out.progress(`no tenant quota matches${o.tenant ? ` tenant ${o.tenant}` : ""}${o.group ? ` group ${o.group}` : ""}`);
        const rows = quotas.flatMap((q) =>
          QUOTA_DIMENSIONS.filter((d) => q.limits[d] !== null || q.used[d] !== 0).map((d) => [
            q.tenant,
            q.group,
            d,
            num(q.used[d]),
            q.limits[d] === null ? "none" : num(q.limits[d]),
            q.headroom[d] === null ? "unlimited" : num(q.headroom[d]),
            bar(q.used[d], q.limits[d]),
          ]),
        );
        ctx.out.table(
          [
            { header: "TENANT" },
            { header: "GROUP" },
            { header: "DIMENSION" },
            { header: "USED", align: "right" },
            { header: "LIMIT", align: "right" },
            { header: "HEADROOM", align: "right" },
            { header: "USE" },
          ],
          rows,
        );
        return EXIT.ok;
      }),
    );
}
