/**
 * `otterscale reconcile [--apply]`: finds what a crash or a hand edit left behind and, with
 * `--apply`, settles it:
 *  - stale reservations (pending/updating/deleting rows whose owner died or whose lease expired):
 *    the engine's own reconcile decides adopt / release / keep-update / rollback / finish-delete /
 *    restore by asking the controller;
 *  - orphaned allocations (active workloads whose controller object is gone): released.
 * A dry run changes nothing and exits 2 when it finds anything, so CI can alert on drift.
 */
import { Command } from "commander";
import type { Engine } from "../../engine/engine";
import { EXIT } from "../exit-codes";
import type { Runner } from "../runner";
import { findOrphans, releaseOrphan } from "../orphans";
import type { Printer } from "../output/printer";

interface ReconcileOptions {
  readonly apply?: boolean;
}

export interface Decision {
  /** `stale` reservation or `orphan` allocation. */
  readonly finding: "stale" | "orphan";
  readonly kind: string;
  readonly id: string;
  readonly state: string;
  /** adopt, release, keep-update, rollback, finish-delete, restore (stale); release (orphan). */
  readonly action: string;
  readonly reason: string;
  /** True when --apply carried it out. */
  readonly applied: boolean;
}

/** Progress every 10% of a long controller scan (100 workloads or more); silent for small estates. */
function scanProgress(out: Printer): (done: number, total: number) => void {
  return (done, total) => {
    if (total >= 100 && (done % Math.ceil(total / 10) === 0 || done === total)) out.progress(`reconcile: checked ${done}/${total} workloads`);
  };
}

export async function reconcileRun(engine: Engine, apply: boolean, out: Printer): Promise<Decision[]> {
  out.progress(`reconcile: looking for stale reservations${apply ? " and settling them" : " (dry run)"}`);
  const stale = await engine.reconcile(undefined, apply);
  const decisions: Decision[] = stale.map((d) => ({ finding: "stale", kind: d.kind, id: d.key, state: d.state, action: d.action, reason: d.reason, applied: apply }));
  out.progress(`reconcile: ${stale.length} stale reservation${stale.length === 1 ? "" : "s"}; checking active workloads against ${engine.controllers.url}`);
  const orphans = await findOrphans(engine, scanProgress(out));
  for (const o of orphans) {
    const applied = apply ? await releaseOrphan(engine, o) : false;
    decisions.push({
      finding: "orphan",
      kind: o.kind,
      id: o.key,
      state: "active",
      action: "release",
      reason: `the controller has no such object (deleted outside otterscale); it still holds quota in group ${o.group}${o.servers.length ? ` and capacity on ${o.servers.join(", ")}` : ""}`,
      applied,
    });
  }
  out.progress(`reconcile: ${orphans.length} orphaned allocation${orphans.length === 1 ? "" : "s"}`);
  return decisions;
}

export function reconcileCommand(run: Runner): Command {
  return new Command("reconcile")
    .description("find stale pending reservations and allocations whose controller object is gone; dry run unless --apply")
    .option("--apply", "settle what is found (default: only list it)")
    .action(
      run.action<ReconcileOptions>(async (ctx, o) => {
        const apply = o.apply === true;
        const decisions = await ctx.withEngine((e) => reconcileRun(e, apply, ctx.out));
        // A dry run that finds something, or an --apply that could not settle everything: 2.
        const code = decisions.some((d) => !d.applied) ? EXIT.findings : EXIT.ok;
        if (ctx.out.format === "json") {
          ctx.out.json({ apply, decisions });
          return code;
        }
        if (!decisions.length) {
          ctx.out.text("Nothing to reconcile: no stale reservations, no orphaned allocations.");
          return code;
        }
        ctx.out.table(
          [{ header: "FINDING" }, { header: "KIND" }, { header: "ID" }, { header: "STATE" }, { header: "ACTION" }, { header: "DONE" }, { header: "REASON" }],
          decisions.map((d) => [d.finding, d.kind, d.id, d.state, d.action, d.applied ? "yes" : "no", d.reason]),
        );
        if (!apply) ctx.out.text("", `Dry run: nothing changed. Run 'otterscale reconcile --apply' to carry out ${decisions.length === 1 ? "this decision" : `these ${decisions.length} decisions`}.`);
        return code;
      }),
    );
}
