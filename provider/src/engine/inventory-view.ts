/**
 * The inventory as decisions read it: server and group specs by name, and a group's members.
 * Its own module (the cache is inventory.ts) so the kind rulebook can name it without importing
 * the cache, which asks the rulebook which kinds fill it.
 */
import type { BaremetalGroupArgs, ServerArgs } from "../catalog/types.gen";

export interface Inventory {
  readonly generation: number;
  readonly servers: ReadonlyMap<string, ServerArgs>;
  readonly groups: ReadonlyMap<string, BaremetalGroupArgs>;
  members(group: string): string[];
}

/** Which of the Inventory's maps an inventory kind's specs fill. */
export type InventorySlot = "servers" | "groups";
