/**
 * The decisions of every mutation: quota check, placement, dependants. Each function reads
 * through a LedgerTx and writes its effect through the same tx, so it runs unchanged inside a real
 * ledger transaction (apply) and over an in-memory copy (plan/preview).
 */
import { OtterscaleError } from "../domain/errors";
import { sub, ZERO } from "../domain/resources";
import type { Allocation, LedgerRecord, ServerLoad } from "../ledger/records";
import { candidateOf, NO_LOAD } from "../domain/inventory";
import type { Shape } from "../domain/shape";
import type { WorkloadRules } from "../kinds/types";
import { bindFilters, checkInPlace, domainValue, place, runFilters, type Candidate, type Domain, type PlacementRequest } from "../placement";
import { addUsage, checkQuota, type QuotaLimits } from "../domain/quota";
import { WORKLOAD_KINDS, type ResourceKind, type WorkloadKind } from "../catalog/catalog";
import type { BaremetalGroupArgs, TenantQuotaArgs, VirtualMachineArgs } from "../catalog/types.gen";
import type { DecisionContext } from "./decision-context";
import { placeInGroup } from "./placement-indexes";
import { boundsOf } from "./decision-bounds";
import { quotaError, unplaceable } from "./decision-errors";
import { quotaRow } from "./records";
export type { DecisionContext };

/** True when the plan this context belongs to deletes `kind key` (never at apply). */
export const isLeaving = (ctx: DecisionContext, kind: string, key: string): boolean => !!ctx.leaving?.has(`${kind}\u0000${key}`);

/**
 * Marks an error about a referenced object that does not exist (yet): a parallel step of the same
 * apply may be creating it, so the reservation is retried briefly (fence.ts), and a plan, which
 * cannot know whether the configuration creates it, warns instead of blocking (plan.ts).
 */
export function missingReference(what: string): { missingReference: string; retryable: true } {
  return { missingReference: what, retryable: true };
}

export const isWorkload = (kind: ResourceKind): kind is WorkloadKind => (WORKLOAD_KINDS as readonly string[]).includes(kind);

export function limitsOf(q: TenantQuotaArgs): QuotaLimits {
  const milli = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 1000));
  return {
    resources: { cpu: milli(q.cpu_cores), memory: milli(q.memory_gib), storage: milli(q.storage_gib), gpus: milli(q.gpus ?? 0) },
    virtualMachines: q.max_virtual_machines,
    vclusters: q.max_vclusters,
    blockPools: q.max_block_pools,
  };
}

/** Result of placing a workload: its servers and one allocation per replica. */
export interface Reservation {
  readonly shape: Shape;
  readonly servers: readonly string[];
  readonly allocations: readonly Allocation[];
}

async function quotaOf(ctx: DecisionContext, tenant: string, group: string): Promise<TenantQuotaArgs> {
  const q = await ctx.tx.get(...quotaRow(tenant, group));
  if (!q) {
    throw new OtterscaleError(
      "quota_exceeded",
      `tenant ${tenant} has no quota in group ${group}: declare an otterscale_tenant_quota for tenant "${tenant}" and group "${group}" first`,
      [{ path: "group", message: `tenant ${tenant} has no quota in group ${group}` }],
      { tenant, group, ...missingReference(`the quota of tenant ${tenant} in group ${group}`) },
    );
  }
  return q.spec as unknown as TenantQuotaArgs;
}

export function groupOf(ctx: DecisionContext, name: string): BaremetalGroupArgs {
  const g = ctx.inv.groups.get(name);
  if (!g) throw new OtterscaleError("not_found", `group ${name} does not exist`, [{ path: "group", message: `group ${name} does not exist` }], missingReference(`group ${name}`));
  return g;
}

async function candidatesOf(ctx: DecisionContext, servers: readonly string[], exclude?: { kind: ResourceKind; key: string }) {
  const load = await ctx.tx.serverLoad(servers);
  if (exclude) {
    for (const a of await ctx.tx.allocations({ consumer: exclude })) {
      const l = load.get(a.server);
      if (l) load.set(a.server, withoutAllocation(l, a));
    }
  }
  return servers.map((s) => candidateOf(ctx.inv.servers.get(s)!, load.get(s) ?? NO_LOAD));
}

function withoutAllocation(l: ServerLoad, a: Allocation): ServerLoad {
  const gpuModels = { ...l.gpuModels };
  if (a.gpuModel) gpuModels[a.gpuModel] = (gpuModels[a.gpuModel] ?? 0) - a.resources.gpus;
  return { allocated: sub(l.allocated, a.resources), gpuModels };
}

/** The GPU model an allocation draws from: the requested one, else the first model with room. */
function gpuModelFor(c: Candidate, shape: Shape): string | null {
  if (shape.demand.gpus <= 0) return null;
  if (shape.gpuModel) return shape.gpuModel;
  const fit = Object.keys(c.gpuModels)
    .sort()
    .find((m) => c.gpuModels[m].capacity - c.gpuModels[m].allocated >= shape.demand.gpus);
  return fit ?? null;
}

/**
 * Quota check and placement for a new workload. Throws quota_exceeded / unplaceable / not_found.
 * Writes nothing: the caller persists the reservation.
 */
export async function decideWorkloadCreate(
  ctx: DecisionContext,
  rules: WorkloadRules,
  key: string,
  spec: Record<string, unknown>,
): Promise<Reservation> {
  const kind = rules.kind;
  const tenant = String(spec.tenant);
  const groupName = String(spec.group);
  const group = groupOf(ctx, groupName);
  const quota = await quotaOf(ctx, tenant, groupName);
  const shape = rules.shape(spec);
  const limits = limitsOf(quota);
  const verdict = checkQuota(limits, await ctx.tx.usage(tenant, groupName), shape.charge);
  if (!verdict.ok) throw quotaError(tenant, groupName, verdict.violations);

  const members = ctx.inv.members(groupName);
  const load = await ctx.tx.serverLoad(members);
  const hints = rules.placement?.(spec) ?? {};
  const request: PlacementRequest = {
    consumer: `${kind} ${key}`,
    demand: shape.demand,
    gpuModel: shape.gpuModel,
    replicas: shape.replicas,
    distinctDomain: shape.distinctDomain,
    strategy: shape.strategy ?? group.placement_strategy ?? "binpack",
    pinned: hints.pinned,
    racks: hints.racks,
    zones: hints.zones,
    antiAffinity: hints.antiAffinity ? await antiAffinityOf(ctx, tenant, groupName, hints.antiAffinity.group, hints.antiAffinity.domain) : undefined,
  };
  const { placed, candidates } = placeInGroup(ctx.placement, ctx.inv, groupName, members, load, request);
  if (!placed.ok) {
    if (request.pinned && !ctx.inv.servers.has(request.pinned)) {
      throw new OtterscaleError(
        "unplaceable",
        `cannot place ${kind} ${key}: pinned server ${request.pinned}: no such server`,
        [{ path: "placement.server", message: `no such server: ${request.pinned}` }],
        missingReference(`server ${request.pinned}`),
      );
    }
    if (request.pinned && !members.includes(request.pinned)) {
      throw new OtterscaleError("unplaceable", `cannot place ${kind} ${key}: pinned server ${request.pinned} is not a member of group ${groupName}`, [
        { path: "placement.server", message: `server ${request.pinned} is not a member of group ${groupName}` },
      ]);
    }
    throw unplaceable(`${kind} ${key}`, groupName, placed.message, placed.rejections);
  }
  const byName = new Map(candidates.filter((c) => placed.servers.includes(c.name)).map((c) => [c.name, c]));
  const allocations = placed.servers.map((server, replica) => ({
    kind,
    key,
    replica,
    server,
    resources: shape.demand,
    gpuModel: gpuModelFor(byName.get(server)!, shape),
  }));
  // Anti-affinity also depends on where peers are, which no bound covers: such a decision declares none.
  if (!request.antiAffinity) ctx.tx.dependsOn?.(boundsOf(tenant, groupName, limits, shape.charge, byName, allocations));
  return { shape, servers: placed.servers, allocations };
}

async function antiAffinityOf(ctx: DecisionContext, tenant: string, grp: string, group: string, domain: Domain, self?: string) {
  const peers = (await ctx.tx.allocations({ antiAffinity: { tenant, grp, group } })).filter((a) => a.key !== self);
  const occupied = new Set<string>();
  for (const a of peers) {
    const s = ctx.inv.servers.get(a.server);
    const v = s ? domainValue(candidateOf(s), domain) : a.server;
    if (v !== undefined) occupied.add(v);
  }
  return { group, domain, occupied: [...occupied].sort() };
}

/**
 * Resize of an existing workload: quota for the growth, then the new demand on the servers it
 * already holds (no silent migration). Replicas added land in new distinct domains; replicas
 * removed are dropped from the end.
 */
export async function decideWorkloadUpdate(
  ctx: DecisionContext,
  rules: WorkloadRules,
  existing: LedgerRecord,
  spec: Record<string, unknown>,
): Promise<Reservation> {
  const kind = rules.kind;
  const tenant = existing.tenant!;
  const groupName = existing.grp!;
  const group = groupOf(ctx, groupName);
  const shape = rules.shape(spec);
  const quota = await quotaOf(ctx, tenant, groupName);
  const delta = addUsage(shape.charge, existing.charge, -1);
  const verdict = checkQuota(limitsOf(quota), await ctx.tx.usage(tenant, groupName), delta, existing.charge);
  if (!verdict.ok) throw quotaError(tenant, groupName, verdict.violations);

  const subject = `${kind} ${existing.key}`;
  const current = await ctx.tx.allocations({ consumer: { kind, key: existing.key } });
  await rules.checkStays?.(ctx, existing, spec, current);
  const kept = current.slice(0, shape.replicas);
  const servers = kept.map((a) => a.server);
  const withoutOwn = await candidatesOf(ctx, servers, { kind, key: existing.key });
  const allocations: Allocation[] = [];
  const whose = `this ${rules.noun}'s`;
  const modelChanged = (existing.spec.gpu_model ?? null) !== (spec.gpu_model ?? null);
  for (const [i, c] of withoutOwn.entries()) {
    const rejection = checkInPlace(c, shape.demand, shape.gpuModel, { resources: kept[i].resources, whose });
    if (rejection) {
      // A new GPU model is not a size: no capacity freed on this server gives it that model.
      const advice =
        modelChanged && rejection.filter === "gpu-model"
          ? `Changing gpu_model needs a server with ${String(spec.gpu_model ?? "other")} GPUs, and the VM is not moved silently: replace it (terraform apply -replace=..., or change a force-new attribute such as its name)`
          : `Resources are not moved silently: lower the request, free capacity on ${c.name}, or replace the resource`;
      throw new OtterscaleError(
        "unplaceable",
        `cannot resize ${subject} in place on server ${c.name}: ${rejection.reason}. ${advice}`,
        [{ message: `${c.name}: ${rejection.reason}` }],
        { rejections: [rejection] },
      );
    }
    allocations.push({ kind, key: existing.key, replica: i, server: c.name, resources: shape.demand, gpuModel: gpuModelFor(c, shape) });
  }
  if (shape.replicas > kept.length) {
    const members = ctx.inv.members(groupName);
    const candidates = await candidatesOf(ctx, members);
    const byName = new Map(candidates.map((c) => [c.name, c]));
    const occupied = kept.map((a) => {
      const c = byName.get(a.server) ?? candidateOf(ctx.inv.servers.get(a.server)!);
      return domainValue(c, shape.distinctDomain) ?? a.server;
    });
    const placed = place(candidates, {
      consumer: subject,
      demand: shape.demand,
      gpuModel: shape.gpuModel,
      replicas: shape.replicas - kept.length,
      distinctDomain: shape.distinctDomain,
      strategy: shape.strategy ?? group.placement_strategy ?? "binpack",
      antiAffinity: { group: `${existing.key} replicas`, domain: shape.distinctDomain, occupied },
    });
    if (!placed.ok) throw unplaceable(`${shape.replicas - kept.length} more replica(s) of ${subject}`, groupName, placed.message, placed.rejections);
    placed.servers.forEach((server, i) =>
      allocations.push({
        kind,
        key: existing.key,
        replica: kept.length + i,
        server,
        resources: shape.demand,
        gpuModel: gpuModelFor(byName.get(server)!, shape),
      }),
    );
  }
  return { shape, servers: allocations.map((a) => a.server), allocations };
}

/**
 * A VM is never moved by an update: its current server must still satisfy the (possibly new)
 * racks, zones and anti-affinity rules, else the update fails and says to replace the VM.
 */
export async function checkVmStaysPlaced(ctx: DecisionContext, existing: LedgerRecord, spec: VirtualMachineArgs, server: string): Promise<void> {
  const p = spec.placement;
  if (!p?.racks?.length && !p?.zones?.length && !p?.anti_affinity_group) return;
  const s = ctx.inv.servers.get(server);
  if (!s) return;
  const domain = (p.spread_domain ?? "server") as Domain;
  const antiAffinity = p.anti_affinity_group
    ? await antiAffinityOf(ctx, existing.tenant!, existing.grp!, p.anti_affinity_group, domain, existing.key)
    : undefined;
  const filters = bindFilters(
    { consumer: `${existing.kind} ${existing.key}`, demand: ZERO, replicas: 1, distinctDomain: "server", strategy: "binpack", racks: p.racks, zones: p.zones, antiAffinity },
    ["racks", "zones", "anti-affinity"],
  );
  const rejection = runFilters(filters, candidateOf(s));
  if (rejection) {
    throw new OtterscaleError(
      "unplaceable",
      `${existing.kind} ${existing.key} runs on ${server}, which the new placement rules exclude (${rejection.reason}). Moving is not done silently: replace the VM (terraform apply -replace=...) to move it`,
      [{ path: "placement", message: `the VM's server ${server} no longer satisfies it: ${rejection.reason}` }],
      { rejections: [rejection] },
    );
  }
}
