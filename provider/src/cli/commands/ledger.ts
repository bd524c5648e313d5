/**
 * `otterscale ledger init | id | check | migrate`: create a ledger, show which ledger a
 * configuration points at, verify its kept totals, copy a ledger into a new one. `init` and `migrate --to` are the only commands that
 * create a ledger: every other command refuses a ledger that does not exist.
 */
import { Command } from "commander";
import { ledgerAdmin } from "../../api";
import { EXIT } from "../exit-codes";
import type { Runner } from "../runner";

interface MigrateOptions {
  readonly from: string;
  readonly to: string;
}

export function ledgerCommand(run: Runner): Command {
  const ledger = new Command("ledger").description("ledger maintenance: init, id, check, migrate");
  ledger
    .command("init")
    .description("create the ledger at --ledger-url (or OTTERSCALE_LEDGER_URL, or $OTTERSCALE_HOME/ledger.db) with a new id; an existing ledger is left unchanged")
    .action(
      run.action(async (ctx) => {
        const r = await ledgerAdmin.init(ctx.config.ledgerUrl);
        if (ctx.out.format === "json") ctx.out.json({ ledger: r.url, id: r.id, created: r.created });
        else ctx.out.text(r.created ? `created ledger ${r.url}` : `ledger ${r.url} already exists; left unchanged`, `ledger id ${r.id}`);
        return EXIT.ok;
      }),
    );
  ledger
    .command("id")
    .description("print the id of the configured ledger (Terraform state and Pulumi stacks remember it)")
    .action(
      run.action(async (ctx) => {
        const l = await ledgerAdmin.identify(ctx.config.ledgerUrl);
        if (ctx.out.format === "json") ctx.out.json({ ledger: l.url, id: l.id });
        else ctx.out.text(l.id);
        return EXIT.ok;
      }),
    );
  ledger
    .command("check")
    .description("verify that the usage and load totals the ledger keeps equal the sums of its rows (reads only)")
    .action(
      run.action(async (ctx) => {
        const r = await ledgerAdmin.check(ctx.config.ledgerUrl);
        if (ctx.out.format === "json") ctx.out.json({ ledger: r.url, id: r.id, consistent: r.drift.length === 0, drift: r.drift });
        else if (!r.drift.length) ctx.out.text(`ledger ${r.url}: usage and load totals equal the sums of its rows`);
        else ctx.out.text(`ledger ${r.url}: ${r.drift.length} total(s) differ from the sums of the rows:`, ...r.drift.map((d) => `  ${d}`));
        return r.drift.length ? EXIT.findings : EXIT.ok;
      }),
    );
  ledger
    .command("migrate")
    .description("copy a ledger (e.g. the embedded SQLite file) into a new, empty one (e.g. PostgreSQL) and verify usage and load match; stop applies meanwhile")
    .requiredOption("--from <url>", "source ledger URL (sqlite:///abs/path.db or postgres://...)")
    .requiredOption("--to <url>", "target ledger URL; must be empty (created if missing); it keeps the source's ledger id")
    .action(
      run.action<MigrateOptions>(async (ctx, o) => {
        ctx.out.progress(`ledger migrate: copying (stop applies against the source meanwhile)`);
        const s = await ledgerAdmin.migrate(o.from, o.to);
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
