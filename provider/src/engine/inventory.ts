/**
 * The inventory (server and group specs) read through a ledger transaction, cached per process
 * and keyed by the ledger's inventory generation, so a reservation does not re-parse thousands
 * of server rows when nothing in the inventory changed.
 */
import { INVENTORY_KINDS, rulesOf } from "../kinds";
import type { Inventory } from "./inventory-view";
import type { LedgerTx } from "../ledger/records";
import type { BaremetalGroupArgs, ServerArgs } from "../catalog/types.gen";
import { membersOf } from "../domain/inventory";

export type { Inventory };

export class InventoryCache {
  private cached?: Inventory;

  /** The inventory last loaded, without asking whether it is still current (a hint, e.g. for prefetching). */
  peek(): Inventory | undefined {
    return this.cached;
  }

  async load(tx: LedgerTx): Promise<Inventory> {
    const generation = await tx.inventoryGeneration();
    if (this.cached && this.cached.generation === generation) return this.cached;
    const records = await tx.list({ kinds: INVENTORY_KINDS });
    const servers = new Map<string, ServerArgs>();
    const groups = new Map<string, BaremetalGroupArgs>();
    const slots = { servers: servers as Map<string, unknown>, groups: groups as Map<string, unknown> };
    for (const r of records) {
      if (r.computed.tombstone === true) continue; // fences the removal of a backend orphan; not inventory
      const slot = rulesOf(r.kind).inventorySlot;
      if (slot) slots[slot].set(r.key, r.spec);
    }
    const memo = new Map<string, string[]>();
    const inv: Inventory = {
      generation,
      servers,
      groups,
      members(group) {
        let m = memo.get(group);
        if (!m) {
          const g = groups.get(group);
          m = g ? membersOf(g, servers) : [];
          memo.set(group, m);
        }
        return m;
      },
    };
    this.cached = inv;
    return inv;
  }
}
