/**
 * Dry run of a batch of changes over an in-memory copy of the ledger, through the very decision
 * functions an apply uses. Changes are applied in order, so the creates of one plan are checked
 * together: five VMs that each fit but together pass the quota fail here, at review time.
 */
import { isQuotaKind } from "../kinds";
import type { Ledger, LedgerRecord, LedgerTx } from "../ledger/records";
import type { ResourceKind } from "../catalog/catalog";
import type { Diagnostic, PlannedChange, PlanResult } from "./contract";
import type { DecisionContext } from "./decide";
import { quotaOvercommit } from "./quota-guards";
import { InventoryCache } from "./inventory";
import { MemoryTx } from "./memory-tx";
import { checkSameAsExisting, type Validated } from "./reserve";
import { Mutex } from "../lib/mutex";
import { OtterscaleError, invalid } from "../domain/errors";
import { diagnosticsOf } from "./diagnostics";
import { canonical } from "./records";
import { settleUpdate } from "./update-hold";
import { countedNote, destroyFirst, keepCounting, shrinks, type Counted, type Removed, type StillCounted } from "./review/rules";
import { checkOwner } from "./owners";

export interface PlanOps {
  validate(kind: ResourceKind, args: unknown): Validated;
  reserveCreate(ctx: DecisionContext, kind: ResourceKind, v: Validated, opId: string, now: number, lease: number): Promise<LedgerRecord>;
  reserveUpdate(ctx: DecisionContext, kind: ResourceKind, id: string, v: Validated, opId: string, now: number, lease: number): Promise<LedgerRecord>;
  checkDelete(ctx: DecisionContext, rec: LedgerRecord): Promise<void>;
  /** True when a read found this workload missing on the backend (its row is still held). */
  isMissing(kind: ResourceKind, key: string): boolean;
}

/**
 * Validates a change's inputs; undefined when every problem is about an attribute whose value is
 * not known yet (a required `name = random_pet.x.id` is absent at plan time, not wrong).
 */
function validateKnown(ops: PlanOps, change: PlannedChange): Validated | undefined {
  try {
    return ops.validate(change.kind, change.args ?? {});
  } catch (e) {
    const unknown = change.unknown ?? [];
    const covered = (path?: string) => !!path && unknown.some((u) => path === u || path.startsWith(`${u}.`));
    if (!unknown.length || !OtterscaleError.isInstance(e) || e.code !== "invalid_input" || !e.problems.length) throw e;
    const real = e.problems.filter((p) => !covered(p.path));
    if (!real.length) return undefined;
    throw invalid(real, `otterscale_${change.kind}`); // only the problems with known values
  }
}

/** A create of an object that already exists is only a retry when the spec is the same. */
function sameAsExisting(kind: ResourceKind, exists: LedgerRecord, v: Validated): LedgerRecord {
  if (exists.state === "active") checkSameAsExisting(kind, exists, v);
  return exists;
}

const objectId = (kind: ResourceKind, key: string) => `${kind}\u0000${key}`;

interface PlanState {
  /** Ledger version (last audit seq) the in-memory copy reflects. */
  version: number;
  readonly changes: PlannedChange[];
  readonly tx: MemoryTx;
  readonly inventory: InventoryCache;
  /** Canonical form of each change applied so far, and its diagnostics. */
  readonly keys: string[];
  /** Objects (kind + key) this batch changes, with the last action planned for each. */
  readonly objects: Map<string, PlannedChange["action"]>;
  readonly diagnostics: Diagnostic[][];
  readonly placements: Record<string, readonly string[]>;
  /** Groups whose quotas this batch changes, with the address of the last such change (it gets the warning). */
  readonly touchedGroups: Map<string, string>;
  /** Objects this batch frees that later steps still count (review/rules.ts). */
  readonly counted: Map<string, StillCounted>;
  /** True for the report's "after" view: every change as it is once applied (no verdicts kept). */
  readonly settled: boolean;
}

/**
 * Plans batches. Front ends grow their batch one change at a time (Terraform sends one
 * PlanResourceChange per resource and checks it together with those before it), so a batch that
 * extends the previous one on an unchanged ledger continues from the previous in-memory state
 * instead of replaying everything: planning N resources costs O(N) decisions, not O(N^2).
 */
export class Planner {
  private state?: PlanState;
  private readonly mutex = new Mutex();

  constructor(
    private readonly ledger: Ledger,
    private readonly ops: PlanOps,
  ) {}

  plan(changes: readonly PlannedChange[]): Promise<PlanResult> {
    return this.mutex.run(() => this.planLocked(changes));
  }

  /**
   * Plans `changes`, then runs `read` over the in-memory ledger exactly as the batch leaves it
   * (before any other plan can move it on). Review tools use it to show use "after" the change
   * from the very state the verdicts were computed on. `read` must not write.
   */
  planThenRead<T>(changes: readonly PlannedChange[], read: (tx: LedgerTx) => Promise<T>): Promise<{ result: PlanResult; after: T }> {
    return this.mutex.run(async () => {
      const result = await this.planLocked(changes);
      // "After" is the ledger once every change that passed is applied: deletes gone, updates at
      // their new size. The verdicts above never counted on that (review/rules.ts).
      const failed = new Set(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.address));
      const st = await this.fresh(true);
      for (const [i, c] of changes.entries()) if (!failed.has(c.address ?? `${c.kind}[${i}]`)) await this.apply(st, c, i);
      return { result, after: await read(st.tx) };
    });
  }

  private async planLocked(changes: readonly PlannedChange[]): Promise<PlanResult> {
    let st = this.state && this.extends(this.state, changes) ? this.state : undefined;
    if (st && !(await this.catchUp(st))) st = undefined;
    if (!st) {
      st = await this.fresh(false);
    }
    for (let i = st.changes.length; i < changes.length; i++) {
      st.diagnostics.push(await this.apply(st, changes[i], i));
      st.changes.push(changes[i]);
      st.keys.push(canonical(changes[i]));
    }
    this.state = st;
    return { diagnostics: [...st.diagnostics.flat(), ...(await this.warnings(st))], placements: { ...st.placements } };
  }

  /** A fresh in-memory copy of the ledger to plan on. */
  private async fresh(settled: boolean): Promise<PlanState> {
    const { version, tx } = await this.ledger.read(async (real) => ({ version: await real.lastAuditSeq(), tx: await MemoryTx.copyOf(real) }));
    return { version, tx, inventory: new InventoryCache(), changes: [], keys: [], objects: new Map(), diagnostics: [], placements: {}, touchedGroups: new Map(), counted: new Map(), settled };
  }

  /** True when `changes` starts with every change already applied to `st` (same objects or equal). */
  private extends(st: PlanState, changes: readonly PlannedChange[]): boolean {
    if (st.changes.length > changes.length) return false;
    return st.changes.every((c, i) => c === changes[i] || st.keys[i] === canonical(changes[i]));
  }

  /**
   * Brings the in-memory copy up to date with what the ledger recorded since it was taken. When
   * every change since is to an object of this batch (this run applying its own plan), the real
   * rows replace the planned ones, so a planned create that has since been reserved for real is
   * not counted twice. Any other change makes the earlier verdicts stale: returns false and the
   * caller replans from a fresh copy.
   */
  private async catchUp(st: PlanState): Promise<boolean> {
    const changed = await this.ledger.read(async (real) => {
      const events = await real.auditSince(st.version);
      const seen = new Map<string, { kind: ResourceKind; key: string }>();
      for (const e of events) seen.set(objectId(e.kind, e.key), { kind: e.kind, key: e.key });
      if ([...seen.keys()].some((k) => !st.objects.has(k))) return undefined;
      const rows = [];
      for (const { kind, key } of seen.values()) rows.push({ kind, key, record: await real.get(kind, key), allocations: await real.allocations({ consumer: { kind, key } }) });
      return { rows, version: events.length ? events[events.length - 1].seq! : st.version };
    });
    if (!changed) return false;
    // An object this batch creates, updates or replaces but the ledger no longer has (the destroy
    // half of a replace ran): the copy would lose the planned object. Replan from scratch.
    if (changed.rows.some((r) => !r.record && st.objects.get(objectId(r.kind, r.key)) !== "delete")) return false;
    for (const r of changed.rows) st.tx.replace(r.kind, r.key, r.record, r.allocations);
    st.version = changed.version;
    return true;
  }

  private async apply(st: PlanState, change: PlannedChange, i: number): Promise<Diagnostic[]> {
    const { tx, ops } = { tx: st.tx, ops: this.ops };
    const address = change.address ?? `${change.kind}[${i}]`;
    const now = Date.now();
    const ctx = async (): Promise<DecisionContext> => ({ tx, inv: await st.inventory.load(tx), leaving: new Set([...st.counted].filter(([, c]) => c.why === "deleted").map(([k]) => k)) });
    try {
      let old: LedgerRecord | undefined;
      if (change.action === "delete" || change.action === "replace") {
        const id = change.id!;
        st.objects.set(objectId(change.kind, id), change.action);
        const found = await tx.get(change.kind, id);
        old = found && !st.counted.has(objectId(change.kind, id)) ? found : undefined;
        if (old) {
          checkOwner(old, change.owner, "delete");
          try {
            await ops.checkDelete(await ctx(), { ...old, state: "active" });
          } catch (e) {
            // A deposed object's delete never blocks a plan (rules.ts): apply decides.
            if (change.deposed && OtterscaleError.isInstance(e)) return diagnosticsOf(e, change.kind, address).map((d) => ({ ...d, severity: "warning" as const }));
            throw e;
          }
        }
        if (change.action === "delete") {
          if (old) await this.freed(st, old, "deleted");
          return [];
        }
      }
      const v = validateKnown(ops, change);
      if (!v) return []; // depends on values not known yet: judged at apply time
      let removed: Removed | undefined;
      if (old && destroyFirst(change, v.key)) {
        // The old object must go first (one identity cannot exist twice): its own create is credited.
        removed = { record: old, allocations: await tx.allocations({ consumer: { kind: old.kind, key: old.key } }) };
        await tx.remove(old.kind, old.key);
      } else if (old) await this.freed(st, old, "replaced"); // may be created first: the new one must fit next to it
      st.objects.set(objectId(change.kind, v.key), change.action);
      if (isQuotaKind(change.kind)) {
        const g = String(v.clean.group);
        st.touchedGroups.delete(g); // re-insert: the latest quota change of the group carries the warning
        st.touchedGroups.set(g, address);
      }
      const exists = await tx.get(change.kind, v.key);
      if (exists && !change.takeover) checkOwner(exists, change.owner, change.action === "update" ? "update" : "create");
      const record =
        change.action === "update" && exists
          ? await ops.reserveUpdate(await ctx(), change.kind, change.id ?? v.key, v, "plan", now, now)
          : exists
            ? sameAsExisting(change.kind, exists, v) // creating what exists: an idempotent retry, else the error apply gives
            : await ops.reserveCreate(await ctx(), change.kind, v, "plan", now, now);
      await this.settle(st, record, removed);
      if (Array.isArray(record.computed.servers)) st.placements[address] = record.computed.servers as string[];
      return exists && change.action !== "update" && ops.isMissing(change.kind, v.key) ? [missingWarning(change.kind, v.key, address, record)] : [];
    } catch (e) {
      // A referenced object the ledger does not have yet: the configuration may create it in a
      // step planned later (a literal `group = "g"`), so the plan must not block; apply decides.
      if (OtterscaleError.isInstance(e) && typeof e.details.missingReference === "string" && change.action !== "delete") {
        return [uncheckedWarning(e.details.missingReference, address, e.message)];
      }
      return withCountedNote(diagnosticsOf(e, change.kind, address), e, [...st.counted.values()]);
    }
  }

  /**
   * What a reviewed step leaves for the steps after it (rules.ts): an update at its held size and
   * a replacement with its old object still counted; in `settled` mode (the report's "after"),
   * everything as it is once applied.
   */
  private async settle(st: PlanState, record: LedgerRecord, removed: Removed | undefined): Promise<void> {
    const { tx } = st;
    if (st.settled) {
      const update = record.state === "updating" ? settleUpdate(record, "commit") : undefined;
      if (update) await tx.setAllocations(record.kind, record.key, update.allocations);
      await tx.put({ ...(update?.record ?? record), state: "active", generation: record.generation + 1 });
      return;
    }
    if (record.state === "updating" && shrinks(record)) st.counted.set(objectId(record.kind, record.key), { kind: record.kind, key: record.key, tenant: record.tenant, grp: record.grp, why: "resized down" });
    // reserveUpdate left the row at its held size (charge and allocations): it stays there.
    const kept = removed ? await keepCounting(tx, removed, record) : record;
    await tx.put({ ...kept, prev: null, state: "active", generation: record.generation + 1 });
  }

  /** `rec` is freed by this plan, but later steps keep counting it (rules.ts); `settled` mode removes it. */
  private async freed(st: PlanState, rec: LedgerRecord, why: Counted): Promise<void> {
    st.counted.set(objectId(rec.kind, rec.key), { kind: rec.kind, key: rec.key, tenant: rec.tenant, grp: rec.grp, why });
    if (st.settled) await st.tx.remove(rec.kind, rec.key);
  }

  private async warnings(st: PlanState): Promise<Diagnostic[]> {
    const inv = await st.inventory.load(st.tx);
    const out: Diagnostic[] = [];
    for (const [g, address] of [...st.touchedGroups].sort(([a], [b]) => a.localeCompare(b))) {
      if (!inv.groups.has(g)) continue;
      for (const w of await quotaOvercommit({ tx: st.tx, inv }, g)) {
        out.push({ severity: "warning", address, code: "quota_overcommit", summary: "Quotas exceed group capacity", detail: w });
      }
    }
    return out;
  }
}

/**
 * A quota or placement refusal in whose numbers objects this plan frees still counted: says which,
 * and why (review/rules.ts). Quota refusals name only the objects of their tenant and group.
 */
function withCountedNote(diags: Diagnostic[], e: unknown, counted: readonly StillCounted[]): Diagnostic[] {
  if (!OtterscaleError.isInstance(e) || (e.code !== "quota_exceeded" && e.code !== "unplaceable")) return diags;
  const { tenant, group } = e.details as { tenant?: string; group?: string };
  const relevant = counted.filter((c) => (e.code === "quota_exceeded" ? c.tenant === tenant && c.grp === group : !group || c.grp === group));
  const note = countedNote(relevant);
  return note ? diags.map((d) => (d.severity === "error" ? { ...d, detail: d.detail + note } : d)) : diags;
}

/** A change the plan cannot check because something it references does not exist yet. */
function uncheckedWarning(what: string, address: string, error: string): Diagnostic {
  return {
    severity: "warning",
    address,
    code: "unchecked",
    summary: "Checked at apply",
    detail: `${what} does not exist yet (${error}). If this configuration creates it, it is checked when it is applied; reference it (for example group = otterscale_baremetal_group.g.name) so the plan can check quota and placement now. If nothing creates it, the apply fails.`,
  };
}

/** A create of a workload the ledger still holds but the backend lost: re-made in place. */
function missingWarning(kind: ResourceKind, key: string, address: string, rec: LedgerRecord): Diagnostic {
  const servers = (rec.computed.servers as string[] | undefined) ?? [];
  return {
    severity: "warning",
    address,
    code: "missing",
    summary: "Missing on the backend",
    detail: `${kind} ${key} is missing on the backend, but the ledger still holds its allocation${servers.length ? ` on ${servers.join(", ")}` : ""}. This apply re-creates it in place, on the same reservation${servers.length ? " and server" : ""}. If it should go instead, run \`otterscale reconcile --apply\` to release the allocation: removing it from the configuration alone leaves the allocation held (the refresh already dropped it from state).`,
  };
}
