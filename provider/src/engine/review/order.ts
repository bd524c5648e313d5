/**
 * Dependency-safe order for planning a set of changes together. Pure.
 *
 * Deletes come first, dependants before what they depend on (workloads, then quotas, groups,
 * servers), so no delete is refused for a dependant the same plan deletes (what a delete frees is
 * not credited to the rest: rules.ts). Then everything else, inventory before what uses it
 * (servers, groups, quotas, workloads); within a kind, replacements and updates before creates
 * (a replacement that keeps its identity may use its old object's room). Ties go by address (then input order), so the same set of
 * changes is judged in the same order whichever order it arrived in (deterministic blame).
 *
 * The review session (session.ts) orders each wave of concurrent changes this way, and
 * `otterscale report` the whole plan: one order for every front end.
 *
 * Example: [create vm a, delete quota q, create server s, delete vm b, update quota p]
 *       -> [delete vm b, delete quota q, create server s, update quota p, create vm a].
 */
import type { PlannedChange } from "../../api";
import { RESOURCE_KINDS, type ResourceKind } from "../../catalog/catalog";
import { rulesOf } from "../../kinds";
import { byAddress } from "./address";

const ACTION_ORDER: Readonly<Record<PlannedChange["action"], number>> = { delete: 0, replace: 0, update: 1, create: 2 };

/** Each kind's dependency tier (kinds/): workloads share one, they never depend on each other. */
const tier = (k: ResourceKind) => rulesOf(k).tier;

function rank(c: PlannedChange): [number, number, number] {
  if (c.action === "delete") return [0, -tier(c.kind), 0];
  return [1, tier(c.kind), ACTION_ORDER[c.action]];
}

export function orderChanges<C extends PlannedChange>(changes: readonly C[]): C[] {
  return changes
    .map((c, i) => ({ c, i, r: rank(c) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || byAddress(a.c, b.c) || a.i - b.i)
    .map((x) => x.c);
}

/** The highest dependency tier: nothing depends on an object of this tier (workloads). */
const TOP_TIER = Math.max(...RESOURCE_KINDS.map(tier));

/**
 * Whether `c` needs no wave: the delete of a top-tier object sorts before anything else a wave can
 * hold, and such deletes do not judge each other (nothing depends on a workload, and what a delete
 * frees is not credited: rules.ts). So judging it on arrival gives the verdicts collecting it into
 * the wave would, without waiting for the wave to close.
 *
 * Example: a destroy's VM deletes are judged as they arrive; a quota delete still waits for its wave.
 */
export function judgedOnArrival(c: PlannedChange): boolean {
  return c.action === "delete" && tier(c.kind) === TOP_TIER;
}
