/**
 * The data sources: read-only views of the ledger, one reader per kind. None calls a controller
 * or writes anything.
 */
import type { RenderSettings } from "./render-settings";
import { OtterscaleError } from "../domain/errors";
import { sub } from "../domain/resources";
import type { LedgerTx } from "../ledger/records";
import { schemaOf, type DataSourceKind, type ResourceKind } from "../catalog/catalog";
import type { TenantQuotaArgs } from "../catalog/types.gen";
import type { State } from "./contract";
import { candidateOf, hostnameOf, NO_LOAD } from "../domain/inventory";
import type { Inventory } from "./inventory";
import { canonical, dimensionAttrs } from "./records";
import { isTombstone } from "./reserve";
import { groupTotals, stateOf } from "./state";
import { identityFields, keyOf } from "../catalog/identity";

type Input = Record<string, unknown>;
type Reader = (tx: LedgerTx, inv: Inventory, input: Input, settings: RenderSettings) => Promise<State>;

const READERS: Record<DataSourceKind, Reader> = {
  tenant_usage: tenantUsage,
  group_capacity: async (_tx, inv, input) => {
    const group = String(input.group);
    if (!inv.groups.has(group)) throw new OtterscaleError("not_found", `group ${group} does not exist`, [{ path: "group", message: "no such group" }]);
    return { id: group, group, ...(await groupTotals(_tx, inv, inv.members(group))) };
  },
  servers,
  virtual_machine_lookup: (tx, inv, input, settings) => lookup(tx, inv, "virtual_machine_lookup", input, settings),
  vcluster_lookup: (tx, inv, input, settings) => lookup(tx, inv, "vcluster_lookup", input, settings),
};

export function readDataSource(tx: LedgerTx, inv: Inventory, kind: DataSourceKind, input: Input, settings: RenderSettings = {}): Promise<State> {
  return READERS[kind](tx, inv, input, settings);
}

async function tenantUsage(tx: LedgerTx, inv: Inventory, input: Input): Promise<State> {
  const quota = await tx.get("tenant_quota", `${input.tenant}/${input.group}`);
  if (!quota) throw new OtterscaleError("not_found", `tenant ${input.tenant} has no quota in group ${input.group}`, [{ path: "tenant", message: "no quota" }]);
  const q = quota.spec as unknown as TenantQuotaArgs;
  const full = await stateOf(tx, inv, quota);
  const pick = (k: string) => (full[k] === undefined ? null : full[k]);
  return {
    id: quota.key,
    tenant: q.tenant,
    group: q.group,
    cpu_cores: q.cpu_cores ?? null,
    memory_gib: q.memory_gib ?? null,
    storage_gib: q.storage_gib ?? null,
    gpus: q.gpus ?? 0,
    max_virtual_machines: q.max_virtual_machines ?? null,
    max_vclusters: q.max_vclusters ?? null,
    max_block_pools: q.max_block_pools ?? null,
    ...Object.fromEntries(Object.keys(full).filter((k) => k.startsWith("used_")).map((k) => [k, pick(k)])),
  };
}

const DIMENSIONS = ["cpu_cores", "memory_gib", "storage_gib", "gpus"] as const;

/**
 * `otterscale_servers`: every server matching all filters (a group's members; labels: all;
 * racks/zones: any; maintenance; at least `min_free_*` free), sorted by name.
 */
async function servers(tx: LedgerTx, inv: Inventory, input: Input): Promise<State> {
  const group = input.group as string | undefined;
  if (group !== undefined && !inv.groups.has(group)) throw new OtterscaleError("not_found", `group ${group} does not exist`, [{ path: "group", message: "no such group" }]);
  const labels = (input.labels ?? {}) as Record<string, string>;
  const racks = input.racks as string[] | undefined;
  const zones = input.zones as string[] | undefined;
  const names = (group !== undefined ? inv.members(group) : [...inv.servers.keys()].sort()).filter((n) => {
    const s = inv.servers.get(n);
    if (!s) return false;
    if (!Object.entries(labels).every(([k, v]) => s.labels?.[k] === v)) return false;
    if (racks?.length && !(s.rack !== undefined && racks.includes(s.rack))) return false;
    if (zones?.length && !(s.zone !== undefined && zones.includes(s.zone))) return false;
    return input.maintenance === undefined || (s.maintenance ?? false) === input.maintenance;
  });
  const load = await tx.serverLoad(names);
  const rows = names
    .map((name) => {
      const s = inv.servers.get(name)!;
      const c = candidateOf(s, load.get(name) ?? NO_LOAD);
      return {
        name,
        hostname: hostnameOf(s),
        rack: s.rack ?? null,
        zone: s.zone ?? null,
        region: s.region ?? null,
        labels: s.labels ?? {},
        maintenance: s.maintenance ?? false,
        ...dimensionAttrs("total_", c.capacity),
        ...dimensionAttrs("allocated_", c.allocated),
        ...dimensionAttrs("free_", sub(c.capacity, c.allocated)),
      } as Record<string, unknown>;
    })
    .filter((row) => DIMENSIONS.every((d) => input[`min_free_${d}`] === undefined || (row[`free_${d}`] as number) >= (input[`min_free_${d}`] as number)));
  return { id: canonical(input), names: rows.map((r) => r.name), servers: rows };
}

/** A lookup data source: one object of its resource kind by import ID, as the ledger records it. */
async function lookup(tx: LedgerTx, inv: Inventory, kind: DataSourceKind, input: Input, settings: RenderSettings): Promise<State> {
  const node = schemaOf(kind);
  const of = node["x-lookup-of"] as ResourceKind;
  const parts = identityFields(of);
  const id = keyOf(of, input);
  const rec = await tx.get(of, id);
  if (!rec || rec.state === "pending" || isTombstone(rec)) {
    throw new OtterscaleError("not_found", `${of} "${id}" does not exist`, [{ path: parts[parts.length - 1], message: `no ${of} "${id}"` }]);
  }
  // Only what the lookup's schema exports (sensitive values never are).
  const state = await stateOf(tx, inv, rec, undefined, {}, settings);
  return Object.fromEntries(Object.keys(node.properties ?? {}).map((k) => [k, state[k] ?? null]));
}
