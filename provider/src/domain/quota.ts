/**
 * Tenant quota arithmetic. Pure: a quota, the tenant's current use in the group and the change a
 * request would make go in; a verdict comes out. A quota is a cap, not a reservation.
 *
 * Example: limit cpu 16, used 12, request +6 -> over by 2:
 *   "tenant acme in group gpu: cpu_cores requested 6, used 12, limit 16".
 */
import { DIMENSIONS, DIMENSION_ATTRIBUTE, fromMilli, type Resources } from "./resources";

/** Limits in thousandths; undefined = no cap on that dimension / count. */
export interface QuotaLimits {
  readonly resources: Partial<Resources>;
  readonly virtualMachines?: number;
  readonly vclusters?: number;
  readonly blockPools?: number;
}

export interface Usage {
  readonly resources: Resources;
  readonly virtualMachines: number;
  readonly vclusters: number;
  readonly blockPools: number;
}

export const NO_USAGE: Usage = Object.freeze({
  resources: Object.freeze({ cpu: 0, memory: 0, storage: 0, gpus: 0 }),
  virtualMachines: 0,
  vclusters: 0,
  blockPools: 0,
});

/** One limit a request would pass. Amounts in user units (cores, GiB, GPUs, objects). */
export interface QuotaViolation {
  readonly dimension: string;
  /** How much more the request needs (for an update, the growth). */
  readonly requested: number;
  /** For an update: the object's new amount (what it holds plus `requested`). */
  readonly total?: number;
  readonly used: number;
  readonly limit: number;
}

export type QuotaVerdict = { readonly ok: true } | { readonly ok: false; readonly violations: readonly QuotaViolation[] };

const COUNTS = [
  ["virtualMachines", "virtual_machines"],
  ["vclusters", "vclusters"],
  ["blockPools", "block_pools"],
] as const;

/** No bound on a dimension (a safe integer, so a database can compare against it). */
export const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * The most usage under which `delta` still fits: `limit - grow` on every dimension and count
 * that the delta grows and a limit caps, UNBOUNDED elsewhere. checkQuota is this rule, so a
 * decision made on a usage read earlier can be re-checked later against the usage alone
 * (PostgreSQL's speculative reservations, ledger/speculation.ts).
 */
export function quotaHeadroom(limits: QuotaLimits, delta: Usage): Usage {
  const room = (limit: number | undefined, grow: number) => (grow > 0 && limit !== undefined ? limit - grow : UNBOUNDED);
  const r = limits.resources;
  const d = delta.resources;
  return {
    resources: { cpu: room(r.cpu, d.cpu), memory: room(r.memory, d.memory), storage: room(r.storage, d.storage), gpus: room(r.gpus, d.gpus) },
    virtualMachines: room(limits.virtualMachines, delta.virtualMachines),
    vclusters: room(limits.vclusters, delta.vclusters),
    blockPools: room(limits.blockPools, delta.blockPools),
  };
}

/**
 * Checks `used + delta <= limit` (usage within quotaHeadroom) on every dimension and count that
 * the delta grows. Shrinking never fails, so a tenant already over a lowered limit can still
 * scale down.
 */
export function checkQuota(limits: QuotaLimits, used: Usage, delta: Usage, held?: Usage): QuotaVerdict {
  const room = quotaHeadroom(limits, delta);
  const violations: QuotaViolation[] = [];
  for (const d of DIMENSIONS) {
    if (used.resources[d] > room.resources[d]) {
      violations.push({
        dimension: DIMENSION_ATTRIBUTE[d],
        requested: fromMilli(delta.resources[d]),
        ...(held ? { total: fromMilli(held.resources[d] + delta.resources[d]) } : {}),
        used: fromMilli(used.resources[d]),
        limit: fromMilli(limits.resources[d]!),
      });
    }
  }
  for (const [field, name] of COUNTS) {
    if (used[field] > room[field]) {
      violations.push({ dimension: name, requested: delta[field], ...(held ? { total: held[field] + delta[field] } : {}), used: used[field], limit: limits[field]! });
    }
  }
  return violations.length ? { ok: false, violations } : { ok: true };
}

/**
 * Checks a new set of limits against current use (lowering a limit below use fails).
 * Returns one violation per limit that would be below use (`requested` is the new limit).
 */
export function checkLimitsCoverUse(limits: QuotaLimits, used: Usage): QuotaViolation[] {
  const out: QuotaViolation[] = [];
  for (const d of DIMENSIONS) {
    const limit = limits.resources[d];
    if (limit !== undefined && used.resources[d] > limit) {
      out.push({ dimension: DIMENSION_ATTRIBUTE[d], requested: fromMilli(limit), used: fromMilli(used.resources[d]), limit: fromMilli(limit) });
    }
  }
  for (const [field, name] of COUNTS) {
    const limit = limits[field];
    if (limit !== undefined && used[field] > limit) out.push({ dimension: name, requested: limit, used: used[field], limit });
  }
  return out;
}

export function addUsage(a: Usage, b: Usage, sign = 1): Usage {
  const r = (d: keyof Resources) => a.resources[d] + sign * b.resources[d];
  return {
    resources: { cpu: r("cpu"), memory: r("memory"), storage: r("storage"), gpus: r("gpus") },
    virtualMachines: a.virtualMachines + sign * b.virtualMachines,
    vclusters: a.vclusters + sign * b.vclusters,
    blockPools: a.blockPools + sign * b.blockPools,
  };
}

/**
 * One violation in words: the amount requested (for an update, the new amount and its growth),
 * the tenant's use and the limit.
 *
 * Examples: `cpu_cores requested 6, used 12, limit 16` (a create);
 * `cpu_cores requested 5 (+1), used 12, limit 12` (an update from 4 to 5 cores).
 */
export function describeViolation(v: QuotaViolation): string {
  const requested = v.total === undefined ? `${v.requested}` : `${v.total} (+${v.requested})`;
  return `${v.dimension} requested ${requested}, used ${v.used}, limit ${v.limit}`;
}

/** "quota exceeded for tenant acme in group g: cpu_cores requested 6, used 12, limit 16; ..." */
export function describeViolations(tenant: string, group: string, violations: readonly QuotaViolation[]): string {
  return `quota exceeded for tenant ${tenant} in group ${group}: ${violations.map(describeViolation).join("; ")}`;
}
