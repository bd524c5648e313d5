/**
 * A group's totals over its member servers (capacity, allocated, free), shared by the group's
 * state projection (kinds/baremetal-group.ts) and the capacity data source (views.ts).
 */
import { ZERO, sub } from "../domain/resources";
import type { LedgerTx } from "../ledger/records";
import { candidateOf, NO_LOAD, totalsOf } from "../domain/inventory";
import type { State } from "./contract";
import type { Inventory } from "./inventory-view";
import { dimensionAttrs } from "./records";

/** member_servers, total_*, allocated_* (and free_* for the capacity data source). */
export async function groupTotals(tx: LedgerTx, inv: Inventory, members: readonly string[]): Promise<State> {
  const load = await tx.serverLoad(members);
  const candidates = members.map((m) => candidateOf(inv.servers.get(m)!, load.get(m) ?? NO_LOAD));
  const { capacity, allocated } = candidates.length ? totalsOf(candidates) : { capacity: ZERO, allocated: ZERO };
  return {
    member_servers: [...members],
    ...dimensionAttrs("total_", capacity),
    ...dimensionAttrs("allocated_", allocated),
    ...dimensionAttrs("free_", sub(capacity, allocated)),
  };
}
