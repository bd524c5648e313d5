/**
 * The kind rulebook's registry: one entry per resource kind (kinds/<kind>.ts). Code outside
 * kinds/ asks it (`rulesOf(kind).project(...)`, `isInventoryKind(kind)`) instead of branching on
 * kind names; test/architecture/kinds.test.ts keeps it that way. Adding a kind: its schema,
 * its module here, its renderer (docs/ARCHITECTURE.md, "The kind rulebook").
 */
import { RESOURCE_KINDS, type ResourceKind, type WorkloadKind } from "../catalog/catalog";
import { baremetalGroup } from "./baremetal-group";
import { blockPool } from "./block-pool";
import { server } from "./server";
import { tenantQuota } from "./tenant-quota";
import type { KindRules, WorkloadRules } from "./types";
import { vcluster } from "./vcluster";
import { virtualMachine } from "./virtual-machine";

export type { KindClass, KindRules, PlacementHints, Projection, WorkloadRules } from "./types";

const REGISTRY: { readonly [K in ResourceKind]: KindRules } = {
  server,
  baremetal_group: baremetalGroup,
  tenant_quota: tenantQuota,
  virtual_machine: virtualMachine,
  vcluster,
  block_pool: blockPool,
};

for (const [kind, rules] of Object.entries(REGISTRY)) {
  if (rules.kind !== kind) throw new Error(`kinds: the entry for ${kind} declares ${rules.kind}`);
}

/** The rules of a kind. Throws on a name that is not a resource kind (a caller's bug). */
export function rulesOf(kind: ResourceKind): KindRules {
  const rules = (REGISTRY as Record<string, KindRules | undefined>)[kind];
  if (!rules) throw new Error(`kinds: no rules for ${String(kind)}`);
  return rules;
}

/** The rules of a workload kind (charge and placement). */
export function workloadRulesOf(kind: WorkloadKind): WorkloadRules {
  const rules = rulesOf(kind);
  if (rules.class !== "workload") throw new Error(`kinds: ${kind} is not a workload`);
  return rules as WorkloadRules;
}

/** Servers and groups: a change reloads the inventory; they live in the inventory namespace. */
export const isInventoryKind = (kind: ResourceKind): boolean => rulesOf(kind).class === "inventory";

/** A tenant's quota in a group. */
export const isQuotaKind = (kind: ResourceKind): boolean => rulesOf(kind).class === "quota";

/** The kinds a machine controller (MAAS) serves. */
export const isMachineKind = (kind: ResourceKind): boolean => rulesOf(kind).machine === true;

/** Inventory kinds, in catalog order. */
export const INVENTORY_KINDS: readonly ResourceKind[] = RESOURCE_KINDS.filter(isInventoryKind);

/** The kind as a noun in messages: "VM", "block pool". */
export const nounOf = (kind: ResourceKind): string => rulesOf(kind).noun;
