/**
 * The creates/updates planned so far in this provider process, so that the engine checks the
 * changes of one `terraform plan` together (quota and placement across resources).
 *
 * PlanResourceChange carries no resource address, so entries are keyed by type and identity
 * (`otterscale_virtual_machine[team-a/web-1]`): re-planning the same resource (Terraform plans
 * again at apply time, and plans a replace twice) overwrites its entry instead of counting it
 * twice. An applied entry stays (the engine's plan finds its object in the ledger and does not
 * count it twice); an entry whose apply failed is forgotten.
 */
import type { PlannedChange } from "../api";
import { batchWith } from "../engine/batch";
import type { ResourceKind } from "../schema/catalog";
import { schemaOf } from "../schema/catalog";

/**
 * Identity of a resource from its arguments, following the schema's `x-import-id`
 * (`name`, `tenant/name`, `tenant/group`); undefined while a part is unknown or unset.
 *
 * Example: `identityOf("virtual_machine", { tenant: "a", name: "web" })` -> `"a/web"`.
 */
export function identityOf(kind: ResourceKind, args: Record<string, unknown>): string | undefined {
  const pattern = String(schemaOf(kind)["x-import-id"] ?? "name");
  const parts = pattern.split("/").map((attr) => args[attr]);
  return parts.every((p) => typeof p === "string" && p !== "") ? parts.join("/") : undefined;
}

export const addressOf = (typeName: string, identity: string | undefined): string => `${typeName}[${identity ?? "(unknown)"}]`;

export class PendingChanges {
  private readonly entries = new Map<string, PlannedChange>();

  /** `change` as it will be recorded: a replace stays a replace when Terraform re-plans it as a create. */
  prepare(change: PlannedChange): PlannedChange {
    const previous = change.address ? this.entries.get(change.address) : undefined;
    if (previous?.action === "replace" && change.action === "create") return { ...change, action: "replace", ...(previous.id ? { id: previous.id } : {}) };
    return change;
  }

  /**
   * The batch to check: every pending change in first-planned order, `change` in its own place
   * when re-planned (Terraform plans again at apply time), else last. Keeping the order stable lets
   * the engine continue from its previous plan instead of replanning everything.
   */
  batchWith(change: PlannedChange): PlannedChange[] {
    return change.address ? batchWith(this.entries, change.address, change) : [...this.entries.values(), change];
  }

  /** Records a prepared change under its address. */
  remember(change: PlannedChange): void {
    if (change.address) this.entries.set(change.address, change);
  }

  get(address: string): PlannedChange | undefined {
    return this.entries.get(address);
  }

  forget(address: string): void {
    this.entries.delete(address);
  }

  get size(): number {
    return this.entries.size;
  }
}
