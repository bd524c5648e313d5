/** How front ends grow the batch of changes they plan together (types only: cheap to load). */
import type { PlannedChange } from "./contract";

/**
 * The batch a front end sends for one more change: its pending changes in first-planned order,
 * `change` in its own place when re-planned (keyed by address), else last. Keeping the order
 * stable is what lets the Planner continue from its previous plan instead of replanning.
 *
 * Example: pending {a, b}, change b' -> [a, b']; change c -> [a, b, c].
 */
export function batchWith(pending: ReadonlyMap<string, PlannedChange>, address: string, change: PlannedChange): PlannedChange[] {
  if (pending.has(address)) return [...pending.entries()].map(([a, c]) => (a === address ? change : c));
  return [...pending.values(), change];
}
