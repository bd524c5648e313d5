/**
 * The kind rulebook's contract: everything the engine, the front ends and the controllers need to
 * know about one kind, declared once in kinds/<kind>.ts. The logic a rule points at may live
 * elsewhere (engine/decide.ts guards, model/shape.ts shapes); what lives here is which rule a kind
 * follows, so nothing outside kinds/ branches on a kind's name.
 *
 * Not declared here because the schema already says it: identity (`x-import-id`, read through
 * schema/identity.ts), force-new and sensitive attributes, and the inputs a computed value
 * follows (`x-computed-from`).
 */
import type { ObservedObject } from "../controllers/types";
import type { Problem } from "../domain/errors";
import type { State } from "../engine/contract";
import type { DecisionContext } from "../engine/decision-context";
import type { Inventory, InventorySlot } from "../engine/inventory-view";
import type { RenderSettings } from "../engine/render-settings";
import type { Allocation, LedgerRecord, LedgerTx } from "../ledger/records";
import type { GpuDevices } from "../domain/gpu-devices";
import type { Shape } from "../domain/shape";
import type { Domain } from "../placement";
import type { ResourceKind, WorkloadKind } from "../catalog/catalog";

/**
 * What a kind is to the engine:
 * - `inventory`: servers and groups. A change bumps the inventory generation (the cached
 *   Inventory is reloaded) and lives in the inventory directory/namespace of a backend.
 * - `quota`: a tenant's caps in one group; charges nothing, guards the workloads under it.
 * - `workload`: charges its tenant's quota and is placed on servers.
 */
export type KindClass = "inventory" | "quota" | "workload";

/** What a state projection reads: the record, its base attributes and the backend's report. */
export interface Projection {
  readonly tx: LedgerTx;
  readonly inv: Inventory;
  readonly rec: LedgerRecord;
  readonly observed?: ObservedObject;
  /** Spec (with drift and secrets), `id` and `manifests`. */
  readonly base: State;
  /** The backend's status, else the last one recorded, else "Unknown". */
  readonly status: string;
}

/** Placement constraints a workload's spec adds to its shape (pin, racks, zones, anti-affinity). */
export interface PlacementHints {
  readonly pinned?: string;
  readonly racks?: readonly string[];
  readonly zones?: readonly string[];
  readonly antiAffinity?: { readonly group: string; readonly domain: Domain };
}

export interface KindRules {
  readonly kind: ResourceKind;
  readonly class: KindClass;
  /**
   * Dependency tier: an object may depend only on objects of lower tiers (servers 0, groups 1,
   * quotas 2, workloads 3). Plans create in rising tiers and delete in falling ones
   * (engine/review/order.ts).
   */
  readonly tier: number;
  /** Inventory kinds: which map of the Inventory their specs fill (engine/inventory.ts). */
  readonly inventorySlot?: InventorySlot;
  /** The kind in messages ("this VM's", "this block pool's"). */
  readonly noun: string;
  /** A bare-metal machine: the kind a machine controller (MAAS) serves. */
  readonly machine?: boolean;
  /**
   * The attribute naming the bare-metal group the object belongs to (`group`), or is (`name` of
   * a group): what a report lists as a touched group.
   */
  readonly groupAttribute?: string;
  /**
   * Quota dimensions (`cpu_cores`, `virtual_machines`) named on the attribute that carries them
   * (`cpu_cores`, `name`), so a quota error points at the argument to change. A dimension not
   * listed is not the kind's to change (the error carries no path).
   */
  readonly quotaPaths?: Readonly<Record<string, string>>;
  /** Rules between attributes that JSON Schema cannot say well, with the attribute path. */
  semantics?(spec: Record<string, unknown>): Problem[];
  /** What a create must pass besides quota and placement (workloads: see WorkloadRules). */
  checkCreate?(ctx: DecisionContext, spec: Record<string, unknown>): Promise<void>;
  /** What an update must pass besides quota and placement. */
  checkUpdate?(ctx: DecisionContext, key: string, spec: Record<string, unknown>): Promise<void>;
  /** What blocks a delete: dependants, consumers, deletion_protection. */
  checkDelete?(ctx: DecisionContext, rec: LedgerRecord): Promise<void>;
  /** The attribute object front ends see: base plus the kind's computed values. */
  project(p: Projection): Promise<State> | State;
  /** Values a renderer needs that are not in the spec (a group's member servers, a chart version). */
  renderExtras?(spec: Record<string, unknown>, inv: Inventory, settings: RenderSettings): Record<string, unknown> | undefined;
  /** The GPU models whose device names the kind's manifest names. */
  gpuModels?(spec: Record<string, unknown>, inv: Inventory, devices: GpuDevices): string[];
}

/** A workload: it charges a quota and asks for a placement. */
export interface WorkloadRules extends KindRules {
  readonly kind: WorkloadKind;
  readonly class: "workload";
  /** Charge (quota) and per-replica demand, replica count and distinct domain (servers). */
  shape(spec: Record<string, unknown>): Shape;
  /** Constraints beyond the shape (a VM's pin, racks, zones, anti-affinity group). */
  placement?(spec: Record<string, unknown>): PlacementHints;
  /**
   * What an in-place update must keep, given where the object runs (a VM is never moved
   * silently). Runs after the quota check, before the resize is checked on its servers.
   */
  checkStays?(ctx: DecisionContext, existing: LedgerRecord, spec: Record<string, unknown>, current: readonly Allocation[]): Promise<void>;
}
