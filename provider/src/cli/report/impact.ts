/**
 * What a reviewed change does to capacity and quotas: the engine plans the changes together
 * (`planThenRead`) and the same read models describe the ledger before and the in-memory ledger
 * after. This module only compares the two; every verdict and number comes from the engine.
 */
import { parseKey } from "../../catalog/identity";
import { RESOURCE_DIMENSIONS, QUOTA_DIMENSIONS, type Diagnostic, type Engine, type PlannedChange, type PlanResult, type QuotaDimension, type Snapshot, rulesOf } from "../../api";

export type { Snapshot };

export interface QuotaDimensionImpact {
  readonly dimension: QuotaDimension;
  readonly before: number;
  readonly after: number;
  /** The limit after the change (null = no cap); `limit_before` differs when the plan changes the quota. */
  readonly limit: number | null;
  readonly limit_before: number | null;
  /** after / limit in whole percent; null without a positive limit. */
  readonly percent_after: number | null;
}

export interface QuotaImpact {
  readonly tenant: string;
  readonly group: string;
  readonly status: "new" | "deleted" | "changed" | "unchanged";
  readonly dimensions: QuotaDimensionImpact[];
}

export interface CapacityDimensionImpact {
  readonly dimension: string;
  readonly allocated_before: number;
  readonly allocated_after: number;
  readonly capacity_before: number;
  readonly capacity_after: number;
}

export interface GroupImpact {
  readonly group: string;
  readonly status: "new" | "deleted" | "changed" | "unchanged";
  readonly members_before: readonly string[];
  readonly members_after: readonly string[];
  readonly dimensions: CapacityDimensionImpact[];
}

export interface ServerImpact {
  readonly server: string;
  /** Addresses of the changes placed (in part) on this server. */
  readonly placements: readonly string[];
  readonly dimensions: CapacityDimensionImpact[];
}

export interface Impact {
  /** False when any change cannot apply (an error diagnostic). */
  readonly ok: boolean;
  readonly summary: Record<PlannedChange["action"], number>;
  readonly changes: readonly { readonly address: string; readonly action: PlannedChange["action"]; readonly kind: string; readonly id?: string }[];
  readonly quotas: QuotaImpact[];
  readonly groups: GroupImpact[];
  readonly servers: ServerImpact[];
  readonly placements: readonly { readonly address: string; readonly servers: readonly string[] }[];
  readonly errors: Diagnostic[];
  readonly warnings: Diagnostic[];
}

/** Plans `changes` (already in dependency-safe order) and compares before with after. */
export async function impactOf(engine: Engine, changes: readonly PlannedChange[]): Promise<Impact> {
  const { before, result, after } = await engine.queries.impact(changes);
  return compare(changes, result, before, after);
}

function status<T>(b: T | undefined, a: T | undefined, same: boolean): "new" | "deleted" | "changed" | "unchanged" {
  return !b ? "new" : !a ? "deleted" : same ? "unchanged" : "changed";
}

/** Tenants, groups and servers a change names in its args or identity. */
function mentioned(changes: readonly PlannedChange[]) {
  const quotas = new Set<string>();
  const groups = new Set<string>();
  for (const c of changes) {
    // The identity's parts (the schema's x-import-id) stand in for arguments a delete does not carry.
    const a = { ...(c.id ? parseKey(c.kind, c.id) : undefined), ...c.args };
    const tenant = a.tenant as string | undefined;
    const groupAttribute = rulesOf(c.kind).groupAttribute; // `group`, or `name` of a group itself
    const group = groupAttribute ? (a[groupAttribute] as string | undefined) : undefined;
    if (tenant && group) quotas.add(`${tenant}/${group}`);
    if (group) groups.add(group);
  }
  return { quotas, groups };
}

export function compare(changes: readonly PlannedChange[], result: PlanResult, before: Snapshot, after: Snapshot): Impact {
  const named = mentioned(changes);
  const summary = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of changes) summary[c.action]++;

  const quotaKeys = [...new Set([...before.quotas, ...after.quotas].map((q) => `${q.tenant}/${q.group}`))].sort();
  const quotas: QuotaImpact[] = [];
  for (const key of quotaKeys) {
    const b = before.quotas.find((q) => `${q.tenant}/${q.group}` === key);
    const a = after.quotas.find((q) => `${q.tenant}/${q.group}` === key);
    const dimensions = QUOTA_DIMENSIONS.map((d): QuotaDimensionImpact => {
      const limit = a ? a.limits[d] : null;
      const used = a ? a.used[d] : 0;
      return {
        dimension: d,
        before: b ? b.used[d] : 0,
        after: used,
        limit,
        limit_before: b ? b.limits[d] : null,
        percent_after: limit !== null && limit > 0 ? Math.round((used / limit) * 100) : null,
      };
    });
    const same = dimensions.every((d) => d.before === d.after && d.limit === d.limit_before);
    const st = status(b, a, same);
    if (st === "unchanged" && !named.quotas.has(key)) continue;
    const [tenant, group] = key.split("/");
    quotas.push({ tenant, group, status: st, dimensions });
  }

  const groupNames = [...new Set([...before.groups, ...after.groups].map((g) => g.name))].sort();
  const groups: GroupImpact[] = [];
  for (const name of groupNames) {
    const b = before.groups.find((g) => g.name === name);
    const a = after.groups.find((g) => g.name === name);
    const dimensions = RESOURCE_DIMENSIONS.map((d) => ({
      dimension: d,
      allocated_before: b?.allocated[d] ?? 0,
      allocated_after: a?.allocated[d] ?? 0,
      capacity_before: b?.total[d] ?? 0,
      capacity_after: a?.total[d] ?? 0,
    }));
    const same = dimensions.every((d) => d.allocated_before === d.allocated_after && d.capacity_before === d.capacity_after) && (b?.members ?? []).join() === (a?.members ?? []).join();
    const st = status(b, a, same);
    if (st === "unchanged" && !named.groups.has(name)) continue;
    groups.push({ group: name, status: st, members_before: b?.members ?? [], members_after: a?.members ?? [], dimensions });
  }

  const placements = Object.entries(result.placements).map(([address, servers]) => ({ address, servers }));
  const byServer = new Map<string, string[]>();
  for (const p of placements) for (const s of new Set(p.servers)) byServer.set(s, [...(byServer.get(s) ?? []), p.address]);
  const servers: ServerImpact[] = [...byServer.keys()].sort().map((name) => {
    const b = before.servers.find((s) => s.name === name);
    const a = after.servers.find((s) => s.name === name);
    return {
      server: name,
      placements: byServer.get(name)!,
      dimensions: RESOURCE_DIMENSIONS.map((d) => ({
        dimension: d,
        allocated_before: b?.allocated[d] ?? 0,
        allocated_after: a?.allocated[d] ?? 0,
        capacity_before: b?.capacity[d] ?? 0,
        capacity_after: a?.capacity[d] ?? 0,
      })),
    };
  });

  const errors = result.diagnostics.filter((d) => d.severity === "error");
  return {
    ok: errors.length === 0,
    summary,
    changes: changes.map((c) => ({ address: c.address ?? c.kind, action: c.action, kind: c.kind, ...(c.id ? { id: c.id } : {}) })),
    quotas,
    groups,
    servers,
    placements,
    errors,
    warnings: result.diagnostics.filter((d) => d.severity === "warning"),
  };
}
