/**
 * Guards of the inventory: what a server or group change must not break (a server holding
 * workloads, a member a group needs, a group a quota or workload references). Pure decisions over
 * the DecisionContext; the kind rulebook (kinds/) says which guard a change runs.
 */
import { OtterscaleError, type Problem } from "../domain/errors";
import { DIMENSIONS, DIMENSION_ATTRIBUTE, fromMilli } from "../domain/resources";
import type { Allocation } from "../ledger/records";
import { membersOf } from "../domain/inventory";
import { capacityOf } from "../placement";
import { WORKLOAD_KINDS } from "../catalog/catalog";
import type { BaremetalGroupArgs, ServerArgs } from "../catalog/types.gen";
import type { DecisionContext } from "./decision-context";
import { isLeaving, missingReference } from "./decide";

function consumersNamed(allocs: readonly Allocation[]): string {
  return [...new Set(allocs.map((a) => `${a.kind} ${a.key}`))].sort().join(", ");
}

/** A server's new spec must still hold what is allocated on it. */
export async function checkServerUpdate(ctx: DecisionContext, name: string, spec: ServerArgs): Promise<void> {
  await checkMembershipKept(ctx, name, spec);
  const load = (await ctx.tx.serverLoad([name])).get(name);
  if (!load) return;
  const cap = capacityOf(spec);
  const short: Problem[] = [];
  for (const d of DIMENSIONS) {
    if (load.allocated[d] > cap.capacity[d]) {
      short.push({
        path: d === "gpus" ? "gpus" : DIMENSION_ATTRIBUTE[d],
        message: `capacity ${fromMilli(cap.capacity[d])} would be below the ${fromMilli(load.allocated[d])} allocated`,
      });
    }
  }
  for (const [model, used] of Object.entries(load.gpuModels)) {
    if (used > (cap.gpuModels[model] ?? 0)) short.push({ path: "gpus", message: `${model}: ${fromMilli(used)} GPUs allocated, capacity would be ${fromMilli(cap.gpuModels[model] ?? 0)}` });
  }
  if (short.length) {
    const consumers = consumersNamed(await ctx.tx.allocations({ servers: [name] }));
    throw new OtterscaleError(
      "in_use",
      `cannot shrink server ${name} below what is allocated (${short.map((p) => `${p.path} ${p.message}`).join("; ")}); consumers: ${consumers}`,
      short,
      { consumers },
    );
  }
}

export async function checkServerDelete(ctx: DecisionContext, name: string): Promise<void> {
  const allocs = (await ctx.tx.allocations({ servers: [name] })).filter((a) => !isLeaving(ctx, a.kind, a.key));
  if (allocs.length) {
    const consumers = consumersNamed(allocs);
    throw new OtterscaleError("in_use", `cannot delete server ${name}: it holds allocations of ${consumers}`, [], { consumers });
  }
  const listing = [...ctx.inv.groups.entries()].filter(([g, spec]) => (spec.servers ?? []).includes(name) && !isLeaving(ctx, "baremetal_group", g)).map(([g]) => g);
  if (listing.length) {
    throw new OtterscaleError(
      "in_use",
      `cannot delete server ${name}: group(s) ${listing.join(", ")} list it in servers; remove it there first (or make the group depend on the server)`,
      [],
      { consumers: listing.join(", ") },
    );
  }
}

/**
 * Relabelling or moving a server (labels, rack, zone, region) can take it out of a selector-based
 * group; that is refused, like the same change made on the group, while the server holds that
 * group's workloads.
 */
async function checkMembershipKept(ctx: DecisionContext, name: string, spec: ServerArgs): Promise<void> {
  const after = new Map(ctx.inv.servers);
  after.set(name, spec);
  for (const [group, g] of ctx.inv.groups) {
    if (!ctx.inv.members(group).includes(name)) continue;
    const members = membersOf(g, after);
    if (!members.includes(name)) await checkGroupUpdate(ctx, group, members);
  }
}

export async function checkGroupCreate(ctx: DecisionContext, spec: BaremetalGroupArgs): Promise<void> {
  const missing = (spec.servers ?? []).filter((s) => !ctx.inv.servers.has(s));
  if (missing.length) {
    throw new OtterscaleError(
      "not_found",
      `group ${spec.name}: unknown server(s) ${missing.join(", ")}`,
      [{ path: "servers", message: `unknown server(s): ${missing.join(", ")}` }],
      missingReference(`server(s) ${missing.join(", ")}`),
    );
  }
}

/** Removing members that hold allocations of the group's workloads would strand them. */
export async function checkGroupUpdate(ctx: DecisionContext, name: string, newMembers: readonly string[]): Promise<void> {
  const keep = new Set(newMembers);
  const workloads = await ctx.tx.list({ kinds: WORKLOAD_KINDS, grp: name });
  const stranded: string[] = [];
  for (const w of workloads) {
    for (const a of await ctx.tx.allocations({ consumer: { kind: w.kind, key: w.key } })) {
      if (!keep.has(a.server)) stranded.push(`${w.kind} ${w.key} on ${a.server}`);
    }
  }
  if (stranded.length) {
    throw new OtterscaleError("in_use", `group ${name}: the change removes servers that hold its workloads: ${stranded.join(", ")}`, [
      { path: "servers", message: `would remove servers holding ${stranded.join(", ")}` },
    ]);
  }
}

export async function checkGroupDelete(ctx: DecisionContext, name: string): Promise<void> {
  const refs = (await ctx.tx.list({ kinds: ["tenant_quota", ...WORKLOAD_KINDS], grp: name })).filter((r) => !isLeaving(ctx, r.kind, r.key));
  if (refs.length) {
    const names = refs.map((r) => `${r.kind} ${r.key}`).join(", ");
    throw new OtterscaleError("in_use", `cannot delete group ${name}: referenced by ${names}`, [], { consumers: names });
  }
}
