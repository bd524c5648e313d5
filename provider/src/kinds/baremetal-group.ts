/**
 * otterscale_baremetal_group: a named set of servers (by list and/or labels) that workloads and
 * quotas are placed in. Inventory; its guards keep the servers its workloads hold and refuse a
 * delete while quotas or workloads name it. State: member_servers, total_*, allocated_*.
 * Rendered with its resolved member servers.
 */
import { checkGroupCreate, checkGroupDelete, checkGroupUpdate } from "../engine/inventory-guards";
import { groupTotals } from "../engine/group-totals";
import { membersOf } from "../domain/inventory";
import type { BaremetalGroupArgs } from "../catalog/types.gen";
import type { KindRules } from "./types";

const args = (spec: Record<string, unknown>) => spec as unknown as BaremetalGroupArgs;

export const baremetalGroup: KindRules = {
  kind: "baremetal_group",
  class: "inventory",
  tier: 1,
  noun: "baremetal group",
  inventorySlot: "groups",
  groupAttribute: "name",
  checkCreate: (ctx, spec) => checkGroupCreate(ctx, args(spec)),
  async checkUpdate(ctx, key, spec) {
    await checkGroupCreate(ctx, args(spec));
    await checkGroupUpdate(ctx, key, membersOf(args(spec), ctx.inv.servers));
  },
  checkDelete: (ctx, rec) => checkGroupDelete(ctx, rec.key),
  async project({ tx, inv, rec, base }) {
    const totals = await groupTotals(tx, inv, inv.members(rec.key));
    for (const k of Object.keys(totals)) if (k.startsWith("free_")) delete totals[k]; // free_* is the capacity data source's
    return { ...base, ...totals };
  },
  renderExtras: (spec, inv) => ({ member_servers: membersOf(args(spec), inv.servers) }),
};
