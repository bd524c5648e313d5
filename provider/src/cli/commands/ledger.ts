/** `otterscale ledger migrate --from URL --to URL`: copies a ledger into a new, empty one and verifies it. */
import { Command } from "commander";
import { copyLedger } from "../../ledger/migrate";
import { EXIT } from "../exit-codes";
import type { Runner } from "../runner";

interface MigrateOptions {
  readonly from: string;
  readonly to: string;
}

export function ledgerCommand(run: Runner): Command {
  const ledger = new Command("ledger").description("ledger maintenance");
  ledger
    .command("migrate")
    .description("copy a ledger (e.g. the embedded SQLite file) into a new, empty one (e.g. PostgreSQL) and verify usage and load match; stop applies meanwhile")
    .requiredOption("--from <url>", "source ledger URL (sqlite:///abs/path.db or postgres://...)")
    .requiredOption("--to <url>", "target ledger URL; must be empty")
    .action(
      run.action<MigrateOptions>(async (ctx, o) => {
        ctx.out.progress(`ledger migrate: copying (stop applies against the source meanwhile)`);
        const s = await copyLedger(o.from, o.to);
        if (ctx.out.format === "json") ctx.out.json(s);
        else {
          ctx.out.text(
            `copied ${s.from} -> ${s.to}: ${s.objects} objects, ${s.allocations} allocations, ${s.audit} audit events`,
            `verified usage of ${s.tenantGroups} tenant/group pairs and the load of ${s.servers} servers: identical`,
            `point ledger_url / OTTERSCALE_LEDGER_URL at the target now`,
          );
        }
        return EXIT.ok;
      }),
    );
  return ledger;
}
