/**
 * Building ledger records and the attribute objects (State) front ends see.
 */
import { createHash } from "node:crypto";
import { fromMilli, type Resources } from "../domain/resources";
import type { Allocation, LedgerRecord, RecordState } from "../ledger/records";
import { sensitivePaths, type ResourceKind } from "../catalog/catalog";
import { NO_USAGE, type Usage } from "../domain/quota";

export { idFormatOf, keyOf } from "../catalog/identity";

function getPath(o: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);
}

/** Spec without sensitive values, and a sha256 per sensitive value (the ledger never stores secrets). */
export function splitSecrets(kind: ResourceKind, spec: Record<string, unknown>): { clean: Record<string, unknown>; digests: Record<string, string> } {
  const clean = structuredClone(spec);
  const digests: Record<string, string> = {};
  for (const path of sensitivePaths(kind)) {
    const value = getPath(spec, path);
    if (value === undefined) continue;
    digests[path] = createHash("sha256").update(String(value)).digest("hex");
    const parts = path.split(".");
    const parent = getPath(clean, parts.slice(0, -1).join(".")) ?? clean;
    if (parts.length === 1) delete clean[parts[0]];
    else if (parent && typeof parent === "object") delete (parent as Record<string, unknown>)[parts[parts.length - 1]];
  }
  return { clean, digests };
}

/** Canonical JSON (sorted keys) for spec comparison. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export interface NewRecord {
  kind: ResourceKind;
  key: string;
  spec: Record<string, unknown>;
  digests: Record<string, string>;
  state: RecordState;
  charge?: Usage;
  computed?: Record<string, unknown>;
  opId: string | null;
  leaseExpires: number | null;
  now: number;
  owner?: string | null;
}

export function newRecord(r: NewRecord): LedgerRecord {
  const s = r.spec;
  // Workloads and quotas belong to a tenant in a group (their specs carry both); inventory does not.
  const scoped = "tenant" in s && "group" in s;
  return {
    kind: r.kind,
    key: r.key,
    tenant: scoped ? String(s.tenant) : null,
    grp: scoped ? String(s.group) : null,
    spec: r.spec,
    secrets: r.digests,
    computed: r.computed ?? {},
    state: r.state,
    charge: r.charge ?? NO_USAGE,
    antiGroup: ((s.placement as Record<string, unknown> | undefined)?.anti_affinity_group as string | undefined) ?? null,
    opId: r.opId,
    leaseExpires: r.leaseExpires,
    prev: null,
    generation: 1,
    createdAt: r.now,
    updatedAt: r.now,
    owner: r.owner ?? null,
  };
}

/** Audit delta in user units. */
export function deltaOf(charge: Usage, sign: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: number) => {
    if (v !== 0) out[k] = sign * v;
  };
  put("cpu_cores", fromMilli(charge.resources.cpu));
  put("memory_gib", fromMilli(charge.resources.memory));
  put("storage_gib", fromMilli(charge.resources.storage));
  put("gpus", fromMilli(charge.resources.gpus));
  put("virtual_machines", charge.virtualMachines);
  put("vclusters", charge.vclusters);
  put("block_pools", charge.blockPools);
  return { ...out, ...extra };
}

export function allocationServers(allocs: readonly Allocation[]): string[] {
  return [...allocs].sort((a, b) => a.replica - b.replica).map((a) => a.server);
}

/** `{cpu_cores, memory_gib, storage_gib, gpus}` with a prefix, in user units. */
export function dimensionAttrs(prefix: string, r: Resources): Record<string, number> {
  return {
    [`${prefix}cpu_cores`]: fromMilli(r.cpu),
    [`${prefix}memory_gib`]: fromMilli(r.memory),
    [`${prefix}storage_gib`]: fromMilli(r.storage),
    [`${prefix}gpus`]: fromMilli(r.gpus),
  };
}

/** The ledger row of a tenant's quota in a group. */
export const quotaRow = (tenant: string, group: string): readonly [ResourceKind, string] => ["tenant_quota", `${tenant}/${group}`];
