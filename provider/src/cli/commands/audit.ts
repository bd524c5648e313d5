/** `otterscale audit [--since 1h|ISO] [--tenant T]`: the ledger's audit trail, oldest first. */
import { Command } from "commander";
import { CliError, EXIT } from "../exit-codes";
import { inlineObject, isoTime, parseSince } from "../output/format";
import type { Runner } from "../runner";

interface AuditOptions {
  readonly since?: string;
  readonly tenant?: string;
  readonly limit?: string;
}

export function auditCommand(run: Runner): Command {
  return new Command("audit")
    .description("the audit trail: every ledger mutation with time, operation, object, tenant, group and delta")
    .option("--since <when>", "only events since a time (ISO 8601, e.g. 2025-01-31T12:00:00Z) or a duration back from now (90s, 15m, 1h, 2d)")
    .option("--tenant <tenant>", "only this tenant's events")
    .option("--limit <n>", "only the newest n events")
    .action(
      run.action<AuditOptions>(async (ctx, o) => {
        const since = o.since === undefined ? undefined : parseSince(o.since, Date.now());
        if (o.since !== undefined && since === undefined) throw new CliError(`--since ${JSON.stringify(o.since)}: expected an ISO 8601 time or a duration like 90s, 15m, 1h, 2d`);
        const limit = o.limit === undefined ? undefined : Number(o.limit);
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new CliError(`--limit ${JSON.stringify(o.limit)}: expected a positive whole number`);
        let events = await ctx.withEngine((e) => e.queries.audit({ since, tenant: o.tenant }));
        if (limit !== undefined) events = events.slice(-limit);
        if (ctx.out.format === "json") {
          ctx.out.json({
            events: events.map((e) => ({ seq: e.seq, at: new Date(e.at).toISOString(), op: e.op, kind: e.kind, id: e.key, tenant: e.tenant, group: e.grp, delta: e.delta, op_id: e.opId })),
          });
          return EXIT.ok;
        }
        ctx.out.table(
          [{ header: "SEQ", align: "right" }, { header: "TIME" }, { header: "OP" }, { header: "KIND" }, { header: "ID" }, { header: "TENANT" }, { header: "GROUP" }, { header: "DELTA" }],
          events.map((e) => [e.seq, isoTime(e.at), e.op, e.kind, e.key, e.tenant ?? "-", e.grp ?? "-", inlineObject(e.delta)]),
        );
        return EXIT.ok;
      }),
    );
}
