/**
 * What every decision reads through: the ledger transaction and the inventory. Its own module so
 * that the kind rulebook (kinds/) can name it without importing the decisions that use it.
 */
import type { LedgerTx } from "../ledger/records";
import type { Inventory } from "./inventory-view";
import type { PlacementIndexes } from "./placement-indexes";

export interface DecisionContext {
  readonly tx: LedgerTx;
  readonly inv: Inventory;
  /**
   * Plans only: objects (`kind\u0000key`) the same plan deletes before this change. They never
   * block a delete as dependants (Terraform and Pulumi delete dependants first), though they
   * still count against quotas and capacity (see engine/review/rules.ts).
   */
  readonly leaving?: ReadonlySet<string>;
  /**
   * The engine's candidate indexes, kept across reservations (placement-indexes.ts). Only the
   * engine's ledger transactions carry it; plans decide with the plain scan over their copy.
   */
  readonly placement?: PlacementIndexes;
}
