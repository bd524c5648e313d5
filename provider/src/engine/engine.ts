/**
 * The engine: every mutation runs validation -> quota -> placement -> reservation (pending, with
 * a lease) -> controller call -> commit. A controller failure releases the reservation; a crash
 * leaves a pending row that the next run settles against the controller (see reconcile.ts).
 */
import type { Controllers, DesiredObject, ObservedObject, PlacedServer } from "../controllers/types";
import { OtterscaleError } from "../domain/errors";
import type { Ledger, LedgerRecord, LedgerTx } from "../ledger/records";
import { hostnameOf, membersOf } from "../model/inventory";
import { forceNewAttributes, type DataSourceKind, type ResourceKind, type WorkloadKind } from "../schema/catalog";
import type { BaremetalGroupArgs, ServerArgs, TenantQuotaArgs } from "../schema/types.gen";
import { validateInput } from "../schema/validate";
import type { EngineApi, OperationOptions, PlannedChange, PlanResult, State } from "../handlers/api";
import {
  checkGroupCreate,
  checkGroupDelete,
  checkGroupUpdate,
  checkQuotaCreate,
  checkQuotaDelete,
  checkQuotaUpdate,
  checkServerDelete,
  checkServerUpdate,
  decideWorkloadCreate,
  decideWorkloadUpdate,
  isWorkload,
  type DecisionContext,
} from "./decide";
import { InventoryCache, type Inventory } from "./inventory";
import { allocationServers, canonical, deltaOf, idFormatOf, keyOf, newOpId, newRecord, opFinished, splitSecrets } from "./records";
import { semanticProblems } from "./semantics";
import { groupTotals, stateOf } from "./state";
import { Planner } from "./plan";
import { isStale, reconcile, type ReconcileDecision } from "./reconcile";
import { withDeadline } from "./deadline";
import { heldAllocations, heldCharge, settleUpdate } from "./update-hold";
import { limitsOf } from "./decide";
import { addUsage, NO_USAGE } from "../quota/quota";

interface Validated {
  spec: Record<string, unknown>;
  clean: Record<string, unknown>;
  digests: Record<string, string>;
  key: string;
}

export class Engine implements EngineApi {
  private readonly inventory = new InventoryCache();
  private planner?: Planner;
  /** Creates that timed out while their controller call still runs: opId -> its clean-up. */
  private readonly lingering = new Map<string, Promise<void>>();

  constructor(
    readonly ledger: Ledger,
    readonly controllers: Controllers,
    private readonly leaseMs: number,
  ) {}

  /** Validated spec (defaults applied), its secret-free copy and identity. Throws invalid_input. */
  validate(kind: ResourceKind, args: unknown): Validated {
    const spec = validateInput<Record<string, unknown>>(kind, args, `otterscale_${kind}`);
    const extra = semanticProblems(kind, spec);
    if (extra.length) throw new OtterscaleError("invalid_input", `invalid otterscale_${kind}: ${extra.map((p) => `${p.path}: ${p.message}`).join("; ")}`, extra);
    const { clean, digests } = splitSecrets(kind, spec);
    return { spec, clean, digests, key: keyOf(kind, spec) };
  }

  private async context(tx: LedgerTx): Promise<DecisionContext> {
    return { tx, inv: await this.inventory.load(tx) };
  }

  // ---------------------------------------------------------------- create

  async create(kind: ResourceKind, args: unknown, opts: OperationOptions = {}): Promise<State> {
    // The op id is registered as running until this returns, whatever happens (see ownerAlive).
    const opId = newOpId();
    try {
      return await this.createAs(opId, kind, args, opts);
    } finally {
      // A create that timed out stays running until its late controller call has been undone.
      const late = this.lingering.get(opId);
      if (late) void late.finally(() => opFinished(opId));
      else opFinished(opId);
    }
  }

  private async createAs(opId: string, kind: ResourceKind, args: unknown, opts: OperationOptions = {}): Promise<State> {
    const v = this.validate(kind, args);
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : undefined;
    // Resolved before reserving: an adapter that does not serve this kind fails with nothing held.
    const controller = this.controllers.forKind(kind);
    const reserve = () =>
      this.ledger.transaction(async (tx) => {
        const existing = await tx.get(kind, v.key);
        if (existing) return { existing };
        const ctx = await this.context(tx);
        const record = await reserveCreate(ctx, kind, v, opId, Date.now(), this.leaseUntil(deadline));
        return { record, desired: desiredOf(ctx.inv, record, v.spec) };
      });
    let reserved = await reserve();
    if (reserved.existing && reserved.existing.state !== "active") {
      // Left behind by a crashed or timed-out run? Settle it, then try once more.
      await this.reconcile({ kind, key: v.key });
      reserved = await reserve();
    }
    if (reserved.existing) return this.adoptExisting(kind, v, reserved.existing, deadline);
    const record = reserved.record!;
    let observed: ObservedObject;
    const applying = controller.apply(reserved.desired!, { deadline, signal: opts.signal });
    try {
      observed = await this.holdingLease(record, opId, withDeadline(applying, deadline, `create ${kind} ${v.key}`, opts.signal));
    } catch (e) {
      if (OtterscaleError.isInstance(e) && e.code === "timeout") {
        // The backend may still finish after we gave up. The reservation stays, owned by this
        // still-running operation (so no reconcile and no retry takes it), until the call ends;
        // then whatever it created is undone and the reservation released.
        const settle = applying.then(
          () => this.undoLateCreate(record, opId),
          () => this.release(record, opId, "release", e),
        );
        const late = settle.catch(() => undefined).finally(() => this.lingering.delete(opId));
        this.lingering.set(opId, late);
        throw e;
      }
      await this.release(record, opId, "release", e);
      throw controllerFailed(`create ${kind} ${v.key}`, e);
    }
    return this.commit(record, opId, observed, v.spec, "commit");
  }

  /** Retrying a create: same spec -> the object (re-applied, idempotent); else a clear error. */
  private async adoptExisting(kind: ResourceKind, v: Validated, existing: LedgerRecord, deadline?: number): Promise<State> {
    if (existing.state !== "active") {
      throw new OtterscaleError("conflict", `${kind} ${v.key} is being changed by another operation (${existing.state}); retry in a moment`);
    }
    if (canonical(existing.spec) !== canonical(v.clean) || canonical(existing.secrets) !== canonical(v.digests)) {
      throw new OtterscaleError(
        "already_exists",
        `${kind} ${v.key} already exists with a different configuration; import it (ID "${v.key}", format ${idFormatOf(kind)}) or choose another name`,
        [{ path: kind === "tenant_quota" ? "tenant" : "name", message: `${v.key} already exists` }],
      );
    }
    const observed = await withDeadline(this.controllers.forKind(kind).apply(await this.desired(existing, v.spec), { deadline }), deadline, `create ${kind} ${v.key}`);
    return this.ledger.read(async (tx) => stateOf(tx, await this.inventory.load(tx), existing, observed, secretInputs(v.spec, v.clean)));
  }

  // ---------------------------------------------------------------- update

  async update(kind: ResourceKind, id: string, args: unknown, opts: OperationOptions = {}): Promise<State> {
    // The op id is registered as running until this returns, whatever happens (see ownerAlive).
    const opId = newOpId();
    try {
      return await this.updateAs(opId, kind, id, args, opts);
    } finally {
      opFinished(opId);
    }
  }

  private async updateAs(opId: string, kind: ResourceKind, id: string, args: unknown, opts: OperationOptions = {}): Promise<State> {
    const v = this.validate(kind, args);
    if (v.key !== id) {
      throw new OtterscaleError("invalid_input", `${kind} ${id}: identity attributes cannot change in place (would become ${v.key}); replace the resource`, [
        { path: kind === "tenant_quota" ? "tenant" : "name", message: "changing it forces replacement" },
      ]);
    }
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : undefined;
    await this.reconcile({ kind, key: id });
    const record = await this.ledger.transaction(async (tx) =>
      reserveUpdate(await this.context(tx), kind, id, v, opId, Date.now(), this.leaseUntil(deadline)),
    );
    let observed: ObservedObject;
    try {
      observed = await this.holdingLease(
        record,
        opId,
        withDeadline(this.controllers.forKind(kind).apply(await this.desired(record, v.spec), { deadline, signal: opts.signal }), deadline, `update ${kind} ${id}`, opts.signal),
      );
    } catch (e) {
      await this.rollback(record, opId);
      throw OtterscaleError.isInstance(e) && e.code === "timeout" ? e : controllerFailed(`update ${kind} ${id}`, e, "the change was rolled back");
    }
    return this.commit(record, opId, observed, v.spec, "commit");
  }

  // ---------------------------------------------------------------- delete

  async delete(kind: ResourceKind, id: string, opts: OperationOptions = {}): Promise<void> {
    // The op id is registered as running until this returns, whatever happens (see ownerAlive).
    const opId = newOpId();
    try {
      return await this.deleteAs(opId, kind, id, opts);
    } finally {
      opFinished(opId);
    }
  }

  private async deleteAs(opId: string, kind: ResourceKind, id: string, opts: OperationOptions = {}): Promise<void> {
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : undefined;
    await this.reconcile({ kind, key: id });
    const record = await this.ledger.transaction(async (tx) => {
      const ctx = await this.context(tx);
      const existing = await tx.get(kind, id);
      if (!existing) return undefined;
      await checkDelete(ctx, existing);
      const next: LedgerRecord = { ...existing, state: "deleting", opId, leaseExpires: this.leaseUntil(deadline), generation: existing.generation + 1, updatedAt: Date.now() };
      await tx.put(next);
      return next;
    });
    if (!record) return; // already gone: deleting is idempotent
    try {
      await this.holdingLease(record, opId, withDeadline(this.controllers.forKind(kind).delete(id, { deadline, signal: opts.signal }), deadline, `delete ${kind} ${id}`, opts.signal));
    } catch (e) {
      await this.ledger.transaction(async (tx) => {
        const cur = await tx.get(kind, id);
        if (cur && cur.opId === opId) await tx.put({ ...cur, state: "active", opId: null, leaseExpires: null, generation: cur.generation + 1 });
      });
      throw OtterscaleError.isInstance(e) && e.code === "timeout" ? e : controllerFailed(`delete ${kind} ${id}`, e, "the object is kept in the ledger");
    }
    await this.ledger.transaction(async (tx) => {
      const cur = await tx.get(kind, id);
      if (!cur || cur.opId !== opId) return;
      const allocations = await tx.allocations({ consumer: { kind, key: id } });
      await tx.remove(kind, id);
      await tx.appendAudit({ at: Date.now(), op: "delete", kind, key: id, tenant: cur.tenant, grp: cur.grp, delta: deltaOf(cur.charge, -1, { servers: allocationServers(allocations) }), opId });
    });
  }

  // ---------------------------------------------------------------- read / import

  async read(kind: ResourceKind, id: string): Promise<State | undefined> {
    let rec = await this.ledger.read((tx) => tx.get(kind, id));
    if (rec && isStale(rec)) {
      // Left behind by a crashed or timed-out run: settle it first, then read what remains.
      await this.reconcile({ kind, key: id });
      rec = await this.ledger.read((tx) => tx.get(kind, id));
    }
    if (!rec || rec.state === "pending") return undefined;
    const observed = await this.controllers.forKind(kind).get(id);
    if (!observed && isWorkload(kind) && rec.state === "active") {
      // Deleted behind our back: release what it held so nothing leaks, and report it gone.
      await this.ledger.transaction(async (tx) => {
        const cur = await tx.get(kind, id);
        if (!cur || cur.generation !== rec.generation) return;
        const allocations = await tx.allocations({ consumer: { kind, key: id } });
        await tx.remove(kind, id);
        await tx.appendAudit({ at: Date.now(), op: "drift-release", kind, key: id, tenant: cur.tenant, grp: cur.grp, delta: deltaOf(cur.charge, -1, { servers: allocationServers(allocations) }), opId: null });
      });
      return undefined;
    }
    return this.ledger.read(async (tx) =>
      stateOf(tx, await this.inventory.load(tx), rec, observed ?? undefined, {}).then((s) => (observed ? s : { ...s, status: "Missing" })),
    );
  }

  async import(kind: ResourceKind, id: string): Promise<State> {
    const state = await this.read(kind, id);
    if (!state) {
      throw new OtterscaleError(
        "not_found",
        `cannot import ${kind} "${id}": no such object in the ledger (import IDs for ${kind} have the form ${idFormatOf(kind)})`,
      );
    }
    return state;
  }

  // ---------------------------------------------------------------- plan / data sources

  async plan(changes: readonly PlannedChange[]): Promise<PlanResult> {
    this.planner ??= new Planner(this.ledger, { validate: (kind, args) => this.validate(kind, args), reserveCreate, reserveUpdate, checkDelete });
    return this.planner.plan(changes);
  }

  /**
   * `plan`, then `read` over the in-memory ledger as the planned changes leave it (nothing is
   * written). Lets review tools report use before -> after from the state the verdicts came from.
   */
  async planThenRead<T>(changes: readonly PlannedChange[], read: (tx: LedgerTx) => Promise<T>): Promise<{ result: PlanResult; after: T }> {
    this.planner ??= new Planner(this.ledger, { validate: (kind, args) => this.validate(kind, args), reserveCreate, reserveUpdate, checkDelete });
    return this.planner.planThenRead(changes, read);
  }

  async readDataSource(kind: DataSourceKind, args: unknown): Promise<State> {
    const input = validateInput<Record<string, string>>(kind, args, `otterscale_${kind}`);
    return this.ledger.read(async (tx) => {
      const inv = await this.inventory.load(tx);
      if (kind === "group_capacity") {
        if (!inv.groups.has(input.group)) throw new OtterscaleError("not_found", `group ${input.group} does not exist`, [{ path: "group", message: "no such group" }]);
        return { id: input.group, group: input.group, ...(await groupTotals(tx, inv, inv.members(input.group))) };
      }
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
    });
  }

  /** Settles stale pending/updating/deleting rows (all, or one object). */
  async reconcile(scope?: { kind: ResourceKind; key: string }, apply = true): Promise<ReconcileDecision[]> {
    return reconcile(this.ledger, this.controllers, scope, apply);
  }

  async close(): Promise<void> {
    // Let timed-out creates finish undoing their late controller calls first (nothing leaks).
    await Promise.all([...this.lingering.values()]);
    await this.controllers.close?.();
    await this.ledger.close();
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Renews the row's lease while a controller call runs, so a slow backend (MAAS commissioning
   * can take longer than a lease) is never mistaken for an abandoned operation by another host.
   */
  private async holdingLease<T>(record: LedgerRecord, opId: string, work: Promise<T>): Promise<T> {
    const every = Math.max(1_000, Math.floor(this.leaseMs / 3));
    const timer = setInterval(() => {
      this.ledger
        .transaction(async (tx) => {
          const cur = await tx.get(record.kind, record.key);
          if (cur && cur.opId === opId) await tx.put({ ...cur, leaseExpires: Date.now() + this.leaseMs, generation: cur.generation + 1 });
        })
        .catch(() => undefined); // a missed renewal only shortens the lease
    }, every);
    timer.unref();
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  private leaseUntil(deadline?: number): number {
    return Math.max(Date.now() + this.leaseMs, (deadline ?? 0) + 60_000);
  }

  /** What the controller is asked to make exist. */
  private async desired(record: LedgerRecord, spec: Record<string, unknown>): Promise<DesiredObject> {
    return this.ledger.read(async (tx) => desiredOf(await this.inventory.load(tx), record, spec));
  }

  private async commit(record: LedgerRecord, opId: string, observed: ObservedObject, spec: Record<string, unknown>, op: string): Promise<State> {
    return this.ledger.transaction(async (tx) => {
      const cur = await tx.get(record.kind, record.key);
      if (!cur || cur.opId !== opId) {
        throw new OtterscaleError("conflict", `${record.kind} ${record.key}: the reservation was settled by another run while the controller worked; run again to reconcile`);
      }
      // An update settles from the held max of old and new down to the new charge and allocations.
      const update = cur.state === "updating" ? settleUpdate(cur, "commit") : undefined;
      if (update) await tx.setAllocations(cur.kind, cur.key, update.allocations);
      const next: LedgerRecord = {
        ...(update?.record ?? cur),
        state: "active",
        opId: null,
        leaseExpires: null,
        prev: null,
        computed: { ...cur.computed, status: observed.status, ...(observed.endpoint ? { endpoint: observed.endpoint } : {}) },
        generation: cur.generation + 1,
        updatedAt: Date.now(),
      };
      await tx.put(next);
      await tx.appendAudit({ at: Date.now(), op, kind: cur.kind, key: cur.key, tenant: cur.tenant, grp: cur.grp, delta: { status: observed.status }, opId });
      return stateOf(tx, await this.inventory.load(tx), next, observed, secretInputs(spec, record.spec));
    });
  }

  /**
   * Undoes a create whose controller call finished after its timeout: only while the row is still
   * this operation's (nobody adopted it), marked `deleting` first so a crash midway is reconciled.
   */
  private async undoLateCreate(record: LedgerRecord, opId: string): Promise<void> {
    const mine = await this.ledger.transaction(async (tx) => {
      const cur = await tx.get(record.kind, record.key);
      if (!cur || cur.opId !== opId || cur.state !== "pending") return false;
      await tx.put({ ...cur, state: "deleting", generation: cur.generation + 1, updatedAt: Date.now() });
      return true;
    });
    if (!mine) return;
    await this.controllers.forKind(record.kind).delete(record.key);
    await this.release(record, opId, "release", new OtterscaleError("timeout", "late controller call undone"));
  }

  private async release(record: LedgerRecord, opId: string, op: string, cause: unknown): Promise<void> {
    await this.ledger.transaction(async (tx) => {
      const cur = await tx.get(record.kind, record.key);
      if (!cur || cur.opId !== opId) return;
      await tx.remove(cur.kind, cur.key);
      await tx.appendAudit({
        at: Date.now(),
        op,
        kind: cur.kind,
        key: cur.key,
        tenant: cur.tenant,
        grp: cur.grp,
        delta: deltaOf(cur.charge, -1, { reason: OtterscaleError.isInstance(cause) ? cause.code : "controller error" }),
        opId,
      });
    });
  }

  private async rollback(record: LedgerRecord, opId: string): Promise<void> {
    await this.ledger.transaction(async (tx) => {
      const cur = await tx.get(record.kind, record.key);
      const settled = cur && cur.opId === opId ? settleUpdate(cur, "rollback") : undefined;
      if (!cur || !settled) return;
      const prev = settled.record;
      await tx.put({ ...prev, state: "active", opId: null, leaseExpires: null, generation: cur.generation + 1, updatedAt: Date.now() });
      await tx.setAllocations(cur.kind, cur.key, settled.allocations);
      const committed = cur.prev?.next?.charge ?? cur.charge;
      await tx.appendAudit({ at: Date.now(), op: "rollback", kind: cur.kind, key: cur.key, tenant: cur.tenant, grp: cur.grp, delta: deltaOf(addUsage(prev.charge, committed, -1), 1), opId });
    });
  }
}

/** The controller's view of a record: the spec with secrets, and where placement put it. */
function desiredOf(inv: Inventory, record: LedgerRecord, spec: Record<string, unknown>): DesiredObject {
  const servers = (record.computed.servers as string[] | undefined) ?? [];
  const placement: PlacedServer[] = servers.map((name) => {
    const s = inv.servers.get(name);
    return { name, hostname: s ? hostnameOf(s) : name, rack: s?.rack, zone: s?.zone };
  });
  const extras = record.kind === "baremetal_group" ? { member_servers: membersOf(spec as unknown as BaremetalGroupArgs, inv.servers) } : undefined;
  return { kind: record.kind, key: record.key, spec, placement, extras };
}

/** Sensitive inputs the caller gave (returned in state; never stored). */
function secretInputs(spec: Record<string, unknown>, clean: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (!(k in clean) || (v && typeof v === "object" && canonical(v) !== canonical(clean[k]))) out[k] = v;
  return out;
}

function controllerFailed(what: string, e: unknown, outcome = "the reservation was released"): OtterscaleError {
  if (OtterscaleError.isInstance(e) && e.code !== "controller_failed") return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new OtterscaleError("controller_failed", `${what}: the backend controller failed (${msg}); ${outcome}`);
}

/** Quota/placement/dependant checks and the pending row of a create, in one transaction. */
export async function reserveCreate(ctx: DecisionContext, kind: ResourceKind, v: Validated, opId: string, now: number, lease: number): Promise<LedgerRecord> {
  const { tx } = ctx;
  let computed: Record<string, unknown> = {};
  let charge = NO_USAGE;
  let allocations: readonly import("../ledger/records").Allocation[] = [];
  if (isWorkload(kind)) {
    const r = await decideWorkloadCreate(ctx, kind as WorkloadKind, v.key, v.clean);
    computed = { servers: r.servers };
    charge = r.shape.charge;
    allocations = r.allocations;
  } else if (kind === "baremetal_group") await checkGroupCreate(ctx, v.clean as unknown as BaremetalGroupArgs);
  else if (kind === "tenant_quota") await checkQuotaCreate(ctx, v.clean as unknown as TenantQuotaArgs);
  const record = newRecord({ kind, key: v.key, spec: v.clean, digests: v.digests, state: "pending", charge, computed, opId, leaseExpires: lease, now });
  await tx.put(record);
  if (allocations.length) await tx.setAllocations(kind, v.key, allocations);
  await tx.appendAudit({ at: now, op: "reserve", kind, key: v.key, tenant: record.tenant, grp: record.grp, delta: deltaOf(charge, 1, computed.servers ? { servers: computed.servers } : {}), opId });
  return record;
}

/** The checks and the `updating` row of an update, in one transaction. */
export async function reserveUpdate(ctx: DecisionContext, kind: ResourceKind, id: string, v: Validated, opId: string, now: number, lease: number): Promise<LedgerRecord> {
  const { tx, inv } = ctx;
  const existing = await tx.get(kind, id);
  if (!existing) throw new OtterscaleError("not_found", `${kind} ${id} does not exist in the ledger`);
  if (existing.state !== "active") throw new OtterscaleError("conflict", `${kind} ${id} is being changed by another operation (${existing.state}); retry in a moment`);
  for (const attr of forceNewAttributes(kind)) {
    if (canonical(existing.spec[attr]) !== canonical(v.clean[attr])) {
      throw new OtterscaleError("invalid_input", `${kind} ${id}: changing ${attr} forces replacement; it cannot be updated in place`, [{ path: attr, message: "changing it forces replacement" }]);
    }
  }
  let computed = existing.computed;
  let charge = existing.charge;
  const oldAllocations = await tx.allocations({ consumer: { kind, key: id } });
  let allocations = oldAllocations;
  if (isWorkload(kind)) {
    const r = await decideWorkloadUpdate(ctx, existing, v.clean);
    computed = { ...existing.computed, servers: r.servers };
    charge = r.shape.charge;
    allocations = [...r.allocations];
  } else if (kind === "server") await checkServerUpdate(ctx, id, v.clean as unknown as ServerArgs);
  else if (kind === "baremetal_group") {
    await checkGroupCreate(ctx, v.clean as unknown as BaremetalGroupArgs);
    await checkGroupUpdate(ctx, id, membersOf(v.clean as unknown as BaremetalGroupArgs, inv.servers));
  } else if (kind === "tenant_quota") await checkQuotaUpdate(ctx, v.clean as unknown as TenantQuotaArgs);
  const next: LedgerRecord = {
    ...existing,
    spec: v.clean,
    secrets: v.digests,
    computed,
    // Held until the controller answers: the larger of old and new (see update-hold.ts).
    charge: heldCharge(existing.charge, charge),
    antiGroup: ((v.clean.placement as Record<string, unknown> | undefined)?.anti_affinity_group as string | undefined) ?? null,
    state: "updating",
    opId,
    leaseExpires: lease,
    prev: { ...existing, allocations: oldAllocations, next: { charge, allocations } },
    generation: existing.generation + 1,
    updatedAt: now,
  };
  await tx.put(next);
  await tx.setAllocations(kind, id, heldAllocations(oldAllocations, allocations));
  await tx.appendAudit({ at: now, op: "update", kind, key: id, tenant: next.tenant, grp: next.grp, delta: deltaOf(addUsage(charge, existing.charge, -1), 1), opId });
  return next;
}

/** Refusals of a delete: dependants, consumers, deletion_protection. */
export async function checkDelete(ctx: DecisionContext, rec: LedgerRecord): Promise<void> {
  if (rec.state !== "active") throw new OtterscaleError("conflict", `${rec.kind} ${rec.key} is being changed by another operation (${rec.state}); retry in a moment`);
  switch (rec.kind) {
    case "server":
      return checkServerDelete(ctx, rec.key);
    case "baremetal_group":
      return checkGroupDelete(ctx, rec.key);
    case "tenant_quota":
      return checkQuotaDelete(ctx, rec.tenant!, rec.grp!);
    case "block_pool":
      if (rec.spec.deletion_protection !== false) {
        throw new OtterscaleError(
          "protected",
          `block pool ${rec.key} has deletion_protection = true; set it to false and apply before destroying`,
          [{ path: "deletion_protection", message: "is true" }],
        );
      }
      return;
    default:
      return;
  }
}

export type { Validated, Inventory };
export { limitsOf };
