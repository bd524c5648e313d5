/**
 * The attribute object (State) of each kind: the ledger's spec, computed values from the ledger
 * (allocations, usage, membership) and from the controller (status, drifted fields).
 */
import type { ObservedObject } from "../controllers/types";
import { ZERO, sub, fromMilli } from "../domain/resources";
import type { LedgerRecord, LedgerTx } from "../ledger/records";
import { candidateOf, NO_LOAD, totalsOf } from "../model/inventory";
import { poolLayout } from "../model/shape";
import type { BlockPoolArgs } from "../schema/types.gen";
import type { State } from "./contract";
import type { Inventory } from "./inventory";
import { manifestsOf } from "./manifests";
import { canonical, dimensionAttrs } from "./records";

/**
 * Spec fields as the backend reports them win over the ledger's: that is how a hand edit shows up
 * as a diff in the next plan. Only fields the backend carries and that differ are replaced.
 */
export function withDrift(spec: Record<string, unknown>, observed?: ObservedObject): Record<string, unknown> {
  if (!observed) return spec;
  const out = { ...spec };
  for (const [k, v] of Object.entries(observed.fields)) {
    if (v !== undefined && canonical(v) !== canonical(spec[k])) out[k] = v;
  }
  return out;
}

export async function stateOf(
  tx: LedgerTx,
  inv: Inventory,
  rec: LedgerRecord,
  observed?: ObservedObject,
  secrets: Record<string, unknown> = {},
): Promise<State> {
  const base: State = { ...withDrift(rec.spec, observed), ...secrets, id: rec.key, manifests: manifestsOf(inv, rec) };
  const status = observed?.status ?? (rec.computed.status as string | undefined) ?? "Unknown";
  switch (rec.kind) {
    case "server": {
      const load = (await tx.serverLoad([rec.key])).get(rec.key) ?? NO_LOAD;
      const a = dimensionAttrs("allocated_", load.allocated);
      return { ...base, status, ...a };
    }
    case "baremetal_group": {
      const members = inv.members(rec.key);
      const totals = await groupTotals(tx, inv, members);
      for (const k of Object.keys(totals)) if (k.startsWith("free_")) delete totals[k];
      return { ...base, ...totals };
    }
    case "tenant_quota": {
      const u = await tx.usage(rec.tenant!, rec.grp!);
      return {
        ...base,
        ...dimensionAttrs("used_", u.resources),
        used_virtual_machines: u.virtualMachines,
        used_vclusters: u.vclusters,
        used_block_pools: u.blockPools,
      };
    }
    case "virtual_machine": {
      const server = (rec.computed.servers as string[] | undefined)?.[0];
      const s = server ? inv.servers.get(server) : undefined;
      return { ...base, server: server ?? null, rack: s?.rack ?? null, zone: s?.zone ?? null, status };
    }
    case "vcluster":
      return {
        ...base,
        servers: rec.computed.servers ?? [],
        status,
        endpoint: observed?.endpoint ?? rec.computed.endpoint ?? null,
        kubeconfig: observed?.kubeconfig ?? null,
      };
    case "block_pool": {
      const { count, share } = poolLayout(rec.spec as unknown as BlockPoolArgs);
      return { ...base, servers: rec.computed.servers ?? [], raw_gib: fromMilli(count * share), status };
    }
  }
}

/** member_servers, total_*, allocated_* (and free_* for the capacity data source). */
export async function groupTotals(tx: LedgerTx, inv: Inventory, members: readonly string[]): Promise<State> {
  const load = await tx.serverLoad(members);
  const candidates = members.map((m) => candidateOf(inv.servers.get(m)!, load.get(m) ?? NO_LOAD));
  const { capacity, allocated } = candidates.length ? totalsOf(candidates) : { capacity: ZERO, allocated: ZERO };
  return {
    member_servers: [...members],
    ...dimensionAttrs("total_", capacity),
    ...dimensionAttrs("allocated_", allocated),
    ...dimensionAttrs("free_", sub(capacity, allocated)),
  };
}
