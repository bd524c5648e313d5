/**
 * `otterscale reconcile [--apply]`: compares the ledger with the backend, both ways, and with
 * `--apply` settles what it finds:
 *  - stale reservations (pending/updating/deleting rows whose lease expired): the engine decides
 *    adopt / release / keep-update / rollback / finish-delete / restore by asking the controller;
 *  - missing workloads (the ledger charges them, the backend lost them): released;
 *  - orphans (backend objects carrying our marks with no ledger row): removed, under a fence;
 *  - drifted objects (the backend holds something else than the engine rendered, e.g. a
 *    hand-edited nodeSelector): the rendered manifest is re-applied (the ledger does not move).
 * A dry run changes nothing and exits 2 when it finds anything, so CI can alert on drift.
 */
import { Command } from "commander";
import type { Engine } from "../../engine/engine";
import { EXIT } from "../exit-codes";
import type { Runner } from "../runner";

interface ReconcileOptions {
  readonly apply?: boolean;
}

export interface Decision {
  /** `stale` reservation, `missing` workload, backend `orphan`, or an object `drifted` on the backend. */
  readonly finding: "stale" | "missing" | "orphan" | "drifted";
  readonly kind: string;
  readonly id: string;
  readonly state: string;
  /** adopt, release, keep-update, rollback, finish-delete, restore (stale); release (missing); remove (orphan). */
  readonly action: string;
  readonly reason: string;
  /** True when --apply carried it out. */
  readonly applied: boolean;
}

export async function reconcileRun(engine: Engine, apply: boolean, out: { progress(msg: string): void }): Promise<Decision[]> {
  out.progress(`reconcile: looking for stale reservations${apply ? " and settling them" : " (dry run)"}`);
  const stale = await engine.reconcile(undefined, apply);
  const decisions: Decision[] = stale.map((d) => ({ finding: "stale", kind: d.kind, id: d.key, state: d.state, action: d.action, reason: d.reason, applied: apply }));
  out.progress(`reconcile: ${stale.length} stale reservation${stale.length === 1 ? "" : "s"}; comparing the ledger with ${engine.controllerLabel}`);
  const findings = await engine.reconcileBackend(apply);
  for (const f of findings) {
    decisions.push({ finding: f.finding, kind: f.kind, id: f.key, state: f.finding === "orphan" ? "-" : "active", action: f.action, reason: f.reason, applied: f.applied });
  }
  const count = (what: string) => findings.filter((f) => f.finding === what).length;
  out.progress(`reconcile: ${count("missing")} missing on the backend, ${count("drifted")} changed on the backend, ${count("orphan")} backend object(s) without a ledger row`);
  return decisions;
}

export function reconcileCommand(run: Runner): Command {
  return new Command("reconcile")
    .description("compare the ledger with the backend both ways: stale reservations, workloads missing on the backend, objects changed on the backend, backend objects without a ledger row; dry run unless --apply")
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
          ctx.out.text("Nothing to reconcile: no stale reservations, nothing missing or changed on the backend, no backend objects without a ledger row.");
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
