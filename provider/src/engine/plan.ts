/**
 * Dry run of a batch of changes over an in-memory copy of the ledger, through the very decision
 * functions an apply uses. Changes are applied in order, so the creates of one plan are checked
 * together: five VMs that each fit but together pass the quota fail here, at review time.
 */
import { OtterscaleError } from "../domain/errors";
import type { Ledger, LedgerRecord } from "../ledger/records";
import type { ResourceKind } from "../schema/catalog";
import type { Diagnostic, PlannedChange, PlanResult } from "../handlers/api";
import type { DecisionContext } from "./decide";
import { quotaOvercommit } from "./decide";
import { InventoryCache } from "./inventory";
import { MemoryTx } from "./memory-tx";
import type { Validated } from "./engine";

export interface PlanOps {
  validate(kind: ResourceKind, args: unknown): Validated;
  reserveCreate(ctx: DecisionContext, kind: ResourceKind, v: Validated, opId: string, now: number, lease: number): Promise<LedgerRecord>;
  reserveUpdate(ctx: DecisionContext, kind: ResourceKind, id: string, v: Validated, opId: string, now: number, lease: number): Promise<LedgerRecord>;
  checkDelete(ctx: DecisionContext, rec: LedgerRecord): Promise<void>;
}

/** Quota dimensions named on the attribute of the kind that carries them. */
const DIMENSION_PATHS: Partial<Record<ResourceKind, Record<string, string>>> = {
  virtual_machine: { cpu_cores: "cpu_cores", memory_gib: "memory_gib", storage_gib: "disk_gib", gpus: "gpu_count", virtual_machines: "name" },
  block_pool: { storage_gib: "size_gib", block_pools: "name" },
  vcluster: { vclusters: "name" },
};

/** Diagnostics of an engine error, with attribute paths mapped onto the kind's own attributes. */
export function diagnosticsOf(e: unknown, kind: ResourceKind | undefined, address?: string): Diagnostic[] {
  if (!OtterscaleError.isInstance(e)) {
    return [{ severity: "error", address, code: "internal", summary: "internal error", detail: e instanceof Error ? e.message : String(e) }];
  }
  const map = kind ? DIMENSION_PATHS[kind] : undefined;
  const summary = summaryOf(e);
  if (e.code === "invalid_input" && e.problems.length) {
    return e.problems.map((p) => ({ severity: "error", address, path: p.path, code: e.code, summary, detail: p.path ? `${p.path}: ${p.message}` : p.message }));
  }
  const paths = [...new Set(e.problems.map((p) => (p.path && map ? (map[p.path] ?? (e.code === "quota_exceeded" ? undefined : p.path)) : p.path)))];
  const path = paths.length === 1 ? paths[0] : undefined;
  return [{ severity: "error", address, path, code: e.code, summary, detail: e.message }];
}

function summaryOf(e: OtterscaleError): string {
  switch (e.code) {
    case "quota_exceeded":
      return "Tenant quota exceeded";
    case "unplaceable":
      return "No server can host this resource";
    case "invalid_input":
      return "Invalid attribute value";
    case "in_use":
      return "Resource is in use";
    case "protected":
      return "Deletion protection is enabled";
    case "not_found":
      return "Referenced object not found";
    case "already_exists":
      return "Object already exists";
    default:
      return `otterscale: ${e.code}`;
  }
}

export async function planChanges(ledger: Ledger, changes: readonly PlannedChange[], ops: PlanOps): Promise<PlanResult> {
  const tx = await ledger.read((real) => MemoryTx.copyOf(real));
  const cache = new InventoryCache();
  const diagnostics: Diagnostic[] = [];
  const placements: Record<string, readonly string[]> = {};
  const touchedGroups = new Set<string>();
  const now = Date.now();
  for (const [i, change] of changes.entries()) {
    const address = change.address ?? `${change.kind}[${i}]`;
    try {
      const ctx = { tx, inv: await cache.load(tx) };
      if (change.action === "delete" || change.action === "replace") {
        const id = change.id!;
        const rec = await tx.get(change.kind, id);
        if (rec) {
          await ops.checkDelete(ctx, { ...rec, state: "active" });
          await tx.remove(change.kind, id);
        }
        if (change.action === "delete") continue;
      }
      const v = ops.validate(change.kind, change.args ?? {});
      if (change.kind === "tenant_quota") touchedGroups.add(String(v.clean.group));
      const exists = await tx.get(change.kind, v.key);
      const ctx2 = { tx, inv: await cache.load(tx) };
      const record =
        change.action === "update" && exists
          ? await ops.reserveUpdate(ctx2, change.kind, change.id ?? v.key, v, "plan", now, now)
          : exists
            ? exists // creating what already exists: apply treats it as an idempotent retry or a clear error
            : await ops.reserveCreate(ctx2, change.kind, v, "plan", now, now);
      await tx.put({ ...record, state: "active", generation: record.generation + 1 });
      if (Array.isArray(record.computed.servers)) placements[address] = record.computed.servers as string[];
    } catch (e) {
      diagnostics.push(...diagnosticsOf(e, change.kind, address));
    }
  }
  const inv = await cache.load(tx);
  for (const g of [...touchedGroups].sort()) {
    if (!inv.groups.has(g)) continue;
    for (const w of await quotaOvercommit({ tx, inv }, g)) {
      diagnostics.push({ severity: "warning", code: "quota_overcommit", summary: "Quotas exceed group capacity", detail: w });
    }
  }
  return { diagnostics, placements };
}
