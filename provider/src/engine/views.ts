/**
 * Read models of the ledger for operators: servers, groups, quotas and allocations in user units.
 * Every function reads through a LedgerTx, so the same code describes the real ledger (inventory,
 * usage) and the in-memory ledger a plan leaves behind (the review report's "after"). The numbers
 * come from the engine's own pieces (capacityOf via candidateOf, groupTotals, limitsOf,
 * tx.usage), never from a second copy of the arithmetic.
 */
import { DIMENSIONS, DIMENSION_ATTRIBUTE, fromMilli, sub, type Resources } from "../domain/resources";
import { limitsOf } from "./decide";
import { InventoryCache } from "./inventory";
import { groupTotals } from "./state";
import type { LedgerTx, RecordState } from "../ledger/records";
import { candidateOf, NO_LOAD } from "../domain/inventory";
import { WORKLOAD_KINDS, type WorkloadKind } from "../catalog/catalog";
import type { TenantQuotaArgs } from "../catalog/types.gen";

/** `cpu_cores`, `memory_gib`, `storage_gib`, `gpus`, in user units. */
export type Dimensions = Record<"cpu_cores" | "memory_gib" | "storage_gib" | "gpus", number>;

/** Dimensions plus the object counts a quota caps. */
export type QuotaDimensions = Dimensions & Record<"virtual_machines" | "vclusters" | "block_pools", number>;

export const RESOURCE_DIMENSIONS = ["cpu_cores", "memory_gib", "storage_gib", "gpus"] as const;
export const QUOTA_DIMENSIONS = [...RESOURCE_DIMENSIONS, "virtual_machines", "vclusters", "block_pools"] as const;
export type QuotaDimension = (typeof QUOTA_DIMENSIONS)[number];

export function dims(r: Resources): Dimensions {
  const out = {} as Dimensions;
  for (const d of DIMENSIONS) out[DIMENSION_ATTRIBUTE[d] as keyof Dimensions] = fromMilli(r[d]);
  return out;
}

export interface ServerView {
  readonly name: string;
  readonly hostname: string;
  readonly rack: string | null;
  readonly zone: string | null;
  readonly region: string | null;
  readonly maintenance: boolean;
  /** `(total - reserved) * allocation_ratio` per dimension. */
  readonly capacity: Dimensions;
  readonly allocated: Dimensions;
  readonly free: Dimensions;
  /** Workloads with at least one replica here. */
  readonly workloads: number;
  /** The Terraform workspace or Pulumi stack that declared it (null: before owners were recorded). */
  readonly owner: string | null;
}

export interface GroupView {
  readonly name: string;
  readonly placement_strategy: string;
  readonly members: readonly string[];
  readonly total: Dimensions;
  readonly allocated: Dimensions;
  readonly free: Dimensions;
  readonly owner: string | null;
}

export interface QuotaView {
  readonly tenant: string;
  readonly group: string;
  /** null = no cap. */
  readonly limits: Record<QuotaDimension, number | null>;
  readonly used: QuotaDimensions;
  /** limit - used; null = no cap. */
  readonly headroom: Record<QuotaDimension, number | null>;
}

export interface PlacementView {
  readonly replica: number;
  readonly server: string;
  readonly amounts: Dimensions;
  readonly gpu_model: string | null;
}

export interface AllocationView {
  readonly kind: WorkloadKind;
  /** `tenant/name`. */
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly group: string;
  readonly state: RecordState;
  readonly servers: readonly string[];
  /** What it charges its tenant's quota. */
  readonly charge: QuotaDimensions;
  /** What each replica consumes on its server. */
  readonly placements: readonly PlacementView[];
  readonly maintainers: readonly string[];
  readonly owner: string | null;
}

export async function serverViews(tx: LedgerTx): Promise<ServerView[]> {
  const inv = await new InventoryCache().load(tx);
  const load = await tx.serverLoad();
  const consumers = new Map<string, Set<string>>();
  for (const a of await tx.allocations()) {
    const set = consumers.get(a.server) ?? new Set<string>();
    set.add(`${a.kind}/${a.key}`);
    consumers.set(a.server, set);
  }
  const owners = await ownersOf(tx, "server");
  return [...inv.servers.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const c = candidateOf(s, load.get(s.name) ?? NO_LOAD);
      return {
        name: s.name,
        hostname: c.hostname,
        rack: s.rack ?? null,
        zone: s.zone ?? null,
        region: s.region ?? null,
        maintenance: c.maintenance,
        capacity: dims(c.capacity),
        allocated: dims(c.allocated),
        free: dims(sub(c.capacity, c.allocated)),
        workloads: consumers.get(s.name)?.size ?? 0,
        owner: owners.get(s.name) ?? null,
      };
    });
}

/** Owner of each object of a kind (servers and groups; the inventory cache keeps specs only). */
async function ownersOf(tx: LedgerTx, kind: "server" | "baremetal_group"): Promise<Map<string, string | null>> {
  return new Map((await tx.list({ kinds: [kind] })).map((r) => [r.key, r.owner ?? null]));
}

export async function groupViews(tx: LedgerTx): Promise<GroupView[]> {
  const inv = await new InventoryCache().load(tx);
  const out: GroupView[] = [];
  const owners = await ownersOf(tx, "baremetal_group");
  for (const g of [...inv.groups.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const members = inv.members(g.name);
    // The same totals the group_capacity data source reports.
    const t = await groupTotals(tx, inv, members);
    const pick = (prefix: string) => Object.fromEntries(RESOURCE_DIMENSIONS.map((d) => [d, Number(t[`${prefix}${d}`])])) as Dimensions;
    out.push({ name: g.name, placement_strategy: g.placement_strategy ?? "binpack", members, total: pick("total_"), allocated: pick("allocated_"), free: pick("free_"), owner: owners.get(g.name) ?? null });
  }
  return out;
}

export interface QuotaFilter {
  readonly tenant?: string;
  readonly group?: string;
}

export async function quotaViews(tx: LedgerTx, f: QuotaFilter = {}): Promise<QuotaView[]> {
  const records = await tx.list({ kinds: ["tenant_quota"], ...(f.tenant !== undefined ? { tenant: f.tenant } : {}), ...(f.group !== undefined ? { grp: f.group } : {}) });
  const out: QuotaView[] = [];
  for (const r of records) {
    const q = r.spec as unknown as TenantQuotaArgs;
    const l = limitsOf(q);
    const u = await tx.usage(r.tenant!, r.grp!);
    const milli = (v: number | undefined) => (v === undefined ? null : fromMilli(v));
    const limits: Record<QuotaDimension, number | null> = {
      cpu_cores: milli(l.resources.cpu),
      memory_gib: milli(l.resources.memory),
      storage_gib: milli(l.resources.storage),
      gpus: milli(l.resources.gpus),
      virtual_machines: l.virtualMachines ?? null,
      vclusters: l.vclusters ?? null,
      block_pools: l.blockPools ?? null,
    };
    const used: QuotaDimensions = { ...dims(u.resources), virtual_machines: u.virtualMachines, vclusters: u.vclusters, block_pools: u.blockPools };
    const headroom = Object.fromEntries(QUOTA_DIMENSIONS.map((d) => [d, limits[d] === null ? null : fromMilli(Math.round(limits[d]! * 1000) - Math.round(used[d] * 1000))])) as Record<
      QuotaDimension,
      number | null
    >;
    out.push({ tenant: r.tenant!, group: r.grp!, limits, used, headroom });
  }
  return out;
}

export interface AllocationFilter {
  readonly tenant?: string;
  readonly group?: string;
  readonly server?: string;
}

export async function allocationViews(tx: LedgerTx, f: AllocationFilter = {}): Promise<AllocationView[]> {
  const listed = await tx.list({ kinds: [...WORKLOAD_KINDS], ...(f.tenant !== undefined ? { tenant: f.tenant } : {}), ...(f.group !== undefined ? { grp: f.group } : {}) });
  const records = listed.filter((r) => r.computed.tombstone !== true); // a fenced orphan removal charges nothing
  const out: AllocationView[] = [];
  for (const r of records) {
    const allocs = await tx.allocations({ consumer: { kind: r.kind, key: r.key } });
    if (f.server !== undefined && !allocs.some((a) => a.server === f.server)) continue;
    const placements = [...allocs]
      .sort((a, b) => a.replica - b.replica)
      .map((a) => ({ replica: a.replica, server: a.server, amounts: dims(a.resources), gpu_model: a.gpuModel }));
    out.push({
      kind: r.kind as WorkloadKind,
      id: r.key,
      tenant: r.tenant!,
      name: String(r.spec.name),
      group: r.grp!,
      state: r.state,
      servers: placements.map((p) => p.server),
      charge: { ...dims(r.charge.resources), virtual_machines: r.charge.virtualMachines, vclusters: r.charge.vclusters, block_pools: r.charge.blockPools },
      placements,
      maintainers: (r.spec.maintainers as string[] | undefined) ?? [],
      owner: r.owner ?? null,
    });
  }
  return out;
}
