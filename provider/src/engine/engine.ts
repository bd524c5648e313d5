/**
 * The engine: the one door front ends use. Every mutation runs validation -> quota -> placement
 * -> reservation (a held row, with a lease) -> controller call -> settlement, and every
 * controller write happens while the operation holds its object's row (fence.ts). Reads never
 * write: not the ledger, not the backend.
 *
 * Settlement always charges what the backend runs: a failed or timed-out update asks the
 * controller what it now runs and keeps the larger of old and new held until it knows.
 */
import { ledgerDesired } from "./manifests";
import { Queries } from "./queries";
import type { Controllers, KindController, ObservedObject } from "../controllers/types";
import { describeDrift, renderedDrift, type FieldDrift } from "../controllers/render";
import { invalid, OtterscaleError } from "../domain/errors";
import { FenceLost, type Ledger, type LedgerRecord, type LedgerTx, type Prefetch } from "../ledger/records";
import { isInventoryKind } from "../kinds";
import { typeNameOf, type DataSourceKind, type ResourceKind } from "../catalog/catalog";
import { validateInput } from "../catalog/validate";
import type { EngineApi, OperationOptions, PlannedChange, PlanResult, ReadOptions, State } from "./contract";
import { limitsOf, type DecisionContext } from "./decide";
import { InventoryCache, type Inventory } from "./inventory";
import { canonical, idFormatOf, keyOf, splitSecrets } from "./records";
import { semanticProblems } from "./semantics";
import { stateOf } from "./state";
import { Planner } from "./plan";
import { reconcileStale, reconcileBackend, type BackendFinding, type ReconcileDecision } from "./reconcile";
import { withDeadline } from "./deadline";
import { asOperation, isStale } from "./ownership";
import { busyRow, fenceOf, heldRow, keepLease, reservedRow, withBoundedRetry, type Fence } from "./fence";
import { settleRow, type Outcome } from "./settle";
import { checkDelete, checkSameAsExisting, createReads, identityPath, isTombstone, reserveCreate, reserveDelete, reserveReapply, reserveUpdate, type Validated } from "./reserve";
import { desiredOf, secretInputs, updateOutcome, type RenderSettings } from "./desired";
import { readDataSource } from "./data-sources";
import { LocationGuard } from "./location";
import { checkOwner, visibleTo } from "./owners";
import { removeUnowned } from "./orphans";
import { ReadCoalescer, readBatch } from "./read-batch";

/** A row this operation holds, and what the controller is asked to make exist. */
interface Held {
  readonly record: LedgerRecord;
  readonly desired: ReturnType<typeof desiredOf>;
  /** The inventory the reservation decided on. */
  readonly inv: Inventory;
}

/** An operation's deadline and cancellation, as controllers and the ledger take them. */
interface Limits {
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

const objectId = (kind: ResourceKind, key: string) => `${kind}\u0000${key}`;

export class Engine implements EngineApi {
  private readonly inventory = new InventoryCache();
  private planner?: Planner;
  /** Operations whose controller call outlived their deadline: opId -> its settlement. */
  private readonly lingering = new Map<string, Promise<void>>();
  /** Objects the last read found drifted on the backend: what changed, for front ends' warnings. */
  private readonly drifted = new Map<string, string[]>();
  /** Workloads a read found missing on the backend (their rows stay held; plans warn). */
  private readonly missing = new Set<string>();
  private readonly location: LocationGuard;
  private staleSettled?: Promise<void>;
  private readonly reads = new ReadCoalescer((reqs) =>
    readBatch(
      {
        ledger: this.ledger,
        controllers: this.controllers,
        inventory: this.inventory,
        checkLocation: () => this.location.check(),
        settings: this.settings,
        noteMissing: (kind, id, missing) => (missing ? this.missing.add(objectId(kind, id)) : this.missing.delete(objectId(kind, id))),
        drift: (inv, rec, observed) => this.renderedDriftOf(inv, rec, observed).map(describeDrift),
        noteDrift: (kind, id, lines) => (lines.length ? this.drifted.set(objectId(kind, id), lines) : this.drifted.delete(objectId(kind, id))),
      },
      reqs,
    ),
  );
  /** Read-only questions (inventory, usage, allocations, audit, a plan's impact). */
  readonly queries: Queries;

  constructor(
    readonly ledger: Ledger,
    readonly controllers: Controllers,
    private readonly leaseMs: number,
    /** Provider settings that shape manifests (gpu_devices, vcluster_chart_version). */
    private readonly settings: RenderSettings = {},
  ) {
    this.location = new LocationGuard(ledger, controllers);
    this.queries = new Queries(ledger, (changes, read) => this.planThenRead(changes, read));
  }

  /** The ledger's identity: front ends remember it in state and refuse state from another ledger. */
  get ledgerId(): string {
    return this.ledger.id;
  }

  get ledgerLabel(): string {
    return this.ledger.url;
  }

  /** The controller URL, credentials masked (for messages). */
  get controllerLabel(): string {
    return this.controllers.url;
  }

  /** Validated spec (defaults applied), its secret-free copy and identity. Throws invalid_input. */
  validate(kind: ResourceKind, args: unknown): Validated {
    const spec = validateInput<Record<string, unknown>>(kind, args, `otterscale_${kind}`);
    const extra = semanticProblems(kind, spec);
    if (extra.length) throw invalid(extra, `otterscale_${kind}`);
    const { clean, digests } = splitSecrets(kind, spec);
    return { spec, clean, digests, key: keyOf(kind, spec) };
  }

  private async context(tx: LedgerTx): Promise<DecisionContext> {
    return { tx, inv: await this.inventory.load(tx) };
  }

  private run<T>(fn: (opId: string) => Promise<T>): Promise<T> {
    return asOperation(fn, (opId) => this.lingering.get(opId));
  }

  // ---------------------------------------------------------------- create

  create(kind: ResourceKind, args: unknown, opts: OperationOptions = {}): Promise<State> {
    return this.run((opId) => this.createAs(opId, kind, args, opts));
  }

  private async createAs(opId: string, kind: ResourceKind, args: unknown, opts: OperationOptions): Promise<State> {
    const v = this.validate(kind, args);
    const limits = limitsOfOp(opts);
    // Resolved before reserving: an adapter that does not serve this kind fails with nothing held.
    this.controllers.forKind(kind);
    await this.beforeWrite(limits);
    const reads = createReads(kind, v, this.inventory.peek());
    const held = await this.hold(kind, v.key, limits, reads, async (tx, existing) => {
      const ctx = await this.context(tx);
      if (!existing) {
        const record = await reserveCreate(ctx, kind, v, opId, Date.now(), this.leaseUntil(), opts.owner);
        return { record, desired: desiredOf(ctx.inv, record, v.spec, this.settings), inv: ctx.inv };
      }
      // A retry by its owner, or the re-creation of an object missing on the backend: re-applied
      // under the same reservation and on the same servers, charged exactly as before.
      checkOwner(existing, opts.owner, "create");
      checkSameAsExisting(kind, existing, v);
      const record = await reserveReapply(ctx, existing, opId, Date.now(), this.leaseUntil(), opts.owner);
      return { record, desired: desiredOf(ctx.inv, existing, v.spec, this.settings), inv: ctx.inv };
    });
    const what = `create ${kind} ${v.key}`;
    const observed = await this.call(held, limits, what, (c, ctx) => c.apply(held.desired, ctx), {
      failed: (e) => (held.record.state === "pending" ? this.settleFailedCreate(held.record, e) : this.settleByObservation(held.record, v.spec)),
      late: (outcome) => (held.record.state === "pending" ? (outcome.ok ? this.undoLateCreate(held.record) : this.settleFailedCreate(held.record, outcome.error)) : this.settleByObservation(held.record, v.spec)),
    });
    this.missing.delete(objectId(kind, v.key));
    return this.commit(held, observed, v, what);
  }

  // ---------------------------------------------------------------- update

  update(kind: ResourceKind, id: string, args: unknown, opts: OperationOptions = {}): Promise<State> {
    return this.run((opId) => this.updateAs(opId, kind, id, args, opts));
  }

  private async updateAs(opId: string, kind: ResourceKind, id: string, args: unknown, opts: OperationOptions): Promise<State> {
    const v = this.validate(kind, args);
    if (v.key !== id) {
      throw new OtterscaleError("invalid_input", `${kind} ${id}: identity attributes cannot change in place (would become ${v.key}); replace the resource`, [
        { path: identityPath(kind), message: "changing it forces replacement" },
      ]);
    }
    const limits = limitsOfOp(opts);
    await this.beforeWrite(limits);
    const held = await this.hold(kind, id, limits, undefined, async (tx, existing) => {
      if (!existing) throw new OtterscaleError("not_found", `${kind} ${id} does not exist in the ledger`);
      if (!opts.takeover) checkOwner(existing, opts.owner, "update");
      const ctx = await this.context(tx);
      const record = await reserveUpdate(ctx, kind, id, v, opId, Date.now(), this.leaseUntil(), opts.takeover ? opts.owner : undefined);
      return { record, desired: desiredOf(ctx.inv, record, v.spec, this.settings), inv: ctx.inv };
    });
    const what = `update ${kind} ${id}`;
    const observed = await this.call(held, limits, what, (c, ctx) => c.apply(held.desired, ctx), {
      failed: () => this.settleByObservation(held.record, v.spec),
      late: () => this.settleByObservation(held.record, v.spec),
    });
    return this.commit(held, observed, v, what);
  }

  // ---------------------------------------------------------------- delete

  delete(kind: ResourceKind, id: string, opts: OperationOptions = {}): Promise<void> {
    return this.run((opId) => this.deleteAs(opId, kind, id, opts));
  }

  private async deleteAs(opId: string, kind: ResourceKind, id: string, opts: OperationOptions): Promise<void> {
    const limits = limitsOfOp(opts);
    await this.beforeWrite(limits);
    const held = await this.hold(kind, id, limits, undefined, async (tx, existing) => {
      if (!existing) return undefined; // already gone: deleting is idempotent
      checkOwner(existing, opts.owner, "delete");
      const ctx = await this.context(tx);
      const record = await reserveDelete(ctx, existing, opId, Date.now(), this.leaseUntil());
      return { record, desired: desiredOf(ctx.inv, record, record.spec, this.settings), inv: ctx.inv };
    });
    if (!held) return;
    const what = `delete ${kind} ${id}`;
    await this.call(held, limits, what, (c, ctx) => c.delete(id, ctx), {
      failed: () => this.settleDeleteByObservation(held.record),
      late: () => this.settleDeleteByObservation(held.record),
    });
    const settled = await this.settle(held.record, "release", { op: "delete" }, what);
    if (settled === false) {
      throw new OtterscaleError("conflict", `${what}: the object was deleted on the backend, but another run took over its reservation meanwhile (its lease had expired); run again to reconcile`);
    }
    this.missing.delete(objectId(kind, id));
  }

  // ---------------------------------------------------------------- read / import

  /**
   * The object as the ledger and the backend see it now. Writes nothing: a workload missing on
   * the backend reads as gone (so the front end plans its re-creation) while its row and
   * allocations stay held, and a stale reservation is left for the next mutation or reconcile.
   */
  read(kind: ResourceKind, id: string, opts: ReadOptions = {}): Promise<State | undefined> {
    // Concurrent reads (a refresh) share one ledger transaction: read-batch.ts.
    return this.reads.read(kind, id, opts);
  }

  /**
   * What the last read of the object found changed on the backend, one line per rendered value
   * (`spec.template.spec.nodeSelector["kubernetes.io/hostname"]: rendered "s1", found "s2"`);
   * empty when it found none. For front ends' warnings.
   */
  driftOf(kind: ResourceKind, id: string): readonly string[] {
    return this.drifted.get(objectId(kind, id)) ?? [];
  }

  /** Rendered values (from the ledger's record, as the last apply rendered them) the backend no longer holds. */
  private renderedDriftOf(inv: Inventory, rec: LedgerRecord, observed: ObservedObject): FieldDrift[] {
    return renderedDrift(ledgerDesired(inv, rec, this.settings), observed);
  }

  async credentials(kind: ResourceKind, id: string, opts: ReadOptions = {}): Promise<string | undefined> {
    const rec = await this.ledger.read((tx) => tx.get(kind, id));
    if (!rec || rec.state === "pending" || isTombstone(rec) || !visibleTo(rec, opts.owner)) return undefined;
    await this.location.check();
    return this.controllers.forKind(kind).credentials?.(id);
  }

  async import(kind: ResourceKind, id: string): Promise<State> {
    const state = await this.read(kind, id);
    if (!state) {
      const rec = await this.ledger.read((tx) => tx.get(kind, id));
      const why = rec && !isTombstone(rec) && rec.state !== "pending" ? "the ledger holds it, but it is missing on the backend (apply re-creates it in place)" : "no such object in the ledger";
      throw new OtterscaleError("not_found", `cannot import ${kind} "${id}": ${why} (import IDs for ${kind} have the form ${idFormatOf(kind)})`);
    }
    return state;
  }

  async secretDigests(kind: ResourceKind, id: string): Promise<Record<string, string>> {
    const rec = await this.ledger.read((tx) => tx.get(kind, id));
    return rec && !isTombstone(rec) ? { ...rec.secrets } : {};
  }

  async ownerOf(kind: ResourceKind, id: string): Promise<string | null | undefined> {
    const rec = await this.ledger.read((tx) => tx.get(kind, id));
    return rec && !isTombstone(rec) ? (rec.owner ?? null) : undefined;
  }

  // ---------------------------------------------------------------- plan / data sources

  private plannerOf(): Planner {
    this.planner ??= new Planner(this.ledger, {
      validate: (kind, args) => this.validate(kind, args),
      reserveCreate,
      reserveUpdate,
      checkDelete,
      isMissing: (kind, key) => this.missing.has(objectId(kind, key)),
    });
    return this.planner;
  }

  async plan(changes: readonly PlannedChange[]): Promise<PlanResult> {
    return this.plannerOf().plan(changes);
  }

  /**
   * `plan`, then `read` over the in-memory ledger as the planned changes leave it (nothing is
   * written). Lets review tools report use before -> after from the state the verdicts came from.
   */
  async planThenRead<T>(changes: readonly PlannedChange[], read: (tx: LedgerTx) => Promise<T>): Promise<{ result: PlanResult; after: T }> {
    return this.plannerOf().planThenRead(changes, read);
  }

  async readDataSource(kind: DataSourceKind, args: unknown): Promise<State> {
    const input = validateInput<Record<string, unknown>>(kind, args, typeNameOf(kind));
    return this.ledger.read(async (tx) => readDataSource(tx, await this.inventory.load(tx), kind, input, this.settings));
  }

  // ---------------------------------------------------------------- reconcile

  /** Settles stale pending/updating/deleting rows (all, or one object); `apply = false` only decides. */
  async reconcile(scope?: { kind: ResourceKind; key: string }, apply = true): Promise<ReconcileDecision[]> {
    if (apply) await this.location.check();
    return reconcileStale(this.ledger, this.controllers, scope, apply);
  }

  /**
   * Compares the ledger with the backend both ways: objects the backend lost (`missing`) and
   * backend objects the ledger has no row for (`orphan`). With `apply`, missing workloads are
   * released, missing inventory and quota records re-rendered, and orphans removed from the
   * backend, each under a fence.
   */
  async reconcileBackend(apply = false): Promise<BackendFinding[]> {
    await this.location.check();
    // A lost server, group or quota record is re-made in place: a create of exactly what the
    // ledger records is a re-apply under the row's fence.
    return reconcileBackend(
      this.ledger,
      this.controllers,
      apply,
      this.leaseMs,
      async (r) => {
        await this.create(r.kind, r.spec);
      },
      async (r, observed) => {
        const inv = await this.ledger.read((tx) => this.inventory.load(tx));
        return this.renderedDriftOf(inv, r, observed).map(describeDrift);
      },
    );
  }

  /** Marks the controller location as this ledger's (`otterscale controller claim`). */
  async claimLocation(): Promise<void> {
    const loc = this.controllers.location;
    if (!loc) throw new OtterscaleError("config", `controller location ${this.controllers.url} keeps no ownership marker; nothing to claim`);
    const owner = await loc.owner();
    if (owner !== undefined && owner !== this.ledger.id) {
      throw new OtterscaleError("config", `controller location ${loc.label} belongs to ledger ${owner}; refusing to hand it to ledger ${this.ledger.id}`);
    }
    await loc.claim(this.ledger.id);
  }

  /** Resolves once every timed-out operation has settled with its late controller call. */
  async idle(): Promise<void> {
    while (this.lingering.size) await Promise.all([...this.lingering.values()]);
  }

  async close(): Promise<void> {
    // Let timed-out operations settle their late controller calls first (nothing leaks).
    await this.idle();
    await this.controllers.close?.();
    await this.ledger.close();
  }

  // ---------------------------------------------------------------- the held-write protocol

  /**
   * Before the first backend write of this engine: the location must be this ledger's (claimed if
   * unmarked), and rows a crashed run left behind are settled once.
   */
  private async beforeWrite(limits: Limits): Promise<void> {
    await this.location.claim();
    this.staleSettled ??= reconcileStale(this.ledger, this.controllers, undefined, true, limits.deadline).then(
      () => undefined,
      () => {
        this.staleSettled = undefined; // an unrelated stale row's backend was unreachable: try again next time
      },
    );
    await this.staleSettled;
  }

  /**
   * Takes the object's row for this operation in one transaction (`reserve` gets the current,
   * active row or undefined). A row another operation holds is a retryable conflict, retried a
   * bounded number of times; a stale one is settled against the controller first.
   */
  private hold<T extends Held | undefined>(
    kind: ResourceKind,
    key: string,
    limits: Limits,
    reads: Prefetch | undefined,
    reserve: (tx: LedgerTx, existing: LedgerRecord | undefined) => Promise<T>,
  ): Promise<T> {
    return withBoundedRetry(async () => {
      const r = await this.ledger.transaction(async (tx): Promise<{ busy: LedgerRecord } | { held: T }> => {
        if (reads) await tx.prefetch?.(reads);
        const existing = await tx.get(kind, key);
        if (existing && existing.state !== "active") return { busy: existing };
        return { held: await reserve(tx, existing) };
      }, limits);
      if (!("busy" in r)) return r.held;
      if (isStale(r.busy)) await reconcileStale(this.ledger, this.controllers, { kind, key }, true, limits.deadline);
      throw busyRow(r.busy);
    }, limits.deadline);
  }

  /**
   * Runs the controller call while the row is held, renewing its lease until the call itself
   * ends. A failure settles through `failed` before the error is returned; a timeout returns at
   * once and settles through `late` when the call finally ends (the row stays held until then).
   */
  private async call<T>(
    held: Held,
    limits: Limits,
    what: string,
    fn: (c: KindController, ctx: Limits) => Promise<T>,
    on: { failed: (e: unknown) => Promise<unknown>; late: (outcome: { ok: boolean; error?: unknown }) => Promise<unknown> },
  ): Promise<T> {
    const fence = fenceOf(held.record);
    const work = fn(this.controllers.forKind(held.record.kind), limits);
    keepLease(this.ledger, fence, this.leaseMs, work);
    let cause: unknown;
    try {
      return await withDeadline(work, limits.deadline, what, limits.signal);
    } catch (e) {
      cause = e;
      if (OtterscaleError.isInstance(e) && e.code === "timeout") {
        if (!(await settledWithin(work, DEADLINE_GRACE_MS))) {
          const late = work
            .then(
              () => on.late({ ok: true }),
              (error) => on.late({ ok: false, error }),
            )
            .then(
              () => undefined,
              () => undefined,
            )
            .finally(() => this.lingering.delete(fence.opId));
          this.lingering.set(fence.opId, late);
          throw e;
        }
        // Ended within the grace: as good as in time when it succeeded; else its own error counts.
        const ended = await work.then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (ended.ok) return ended.value;
        cause = ended.error;
      }
    }
    const outcome = await on.failed(cause).then(
      (r) => (typeof r === "string" ? r : undefined),
      () => "the ledger could not be updated; the reservation stays held until its lease expires and the next run settles it",
    );
    throw controllerFailed(what, cause, outcome);
  }

  /** A fenced transition; false when the fence was lost (another run settled the row). */
  private async settle(record: LedgerRecord, outcome: Outcome, o: Parameters<typeof settleRow>[3], what: string): Promise<LedgerRecord | undefined | false> {
    const fence = fenceOf(record);
    try {
      return await this.ledger.transaction(async (tx) => {
        const cur = await heldRow(tx, fence);
        return cur ? settleRow(tx, cur, outcome, o) : false;
      });
    } catch (e) {
      throw afterBackendWrite(what, e);
    }
  }

  private async commit(held: Held, observed: ObservedObject, v: Validated, what: string): Promise<State> {
    const { record } = held;
    const fence = fenceOf(record);
    let state: State | false;
    try {
      state = await this.ledger
        .transaction(async (tx) => {
          const next = (await settleRow(tx, await reservedRow(tx, record), "commit", { observed }))!;
          // A workload's or quota's state shows the inventory its reservation decided on (no read
          // under the write lock); an inventory object's own commit changes the inventory.
          const inv = isInventoryKind(record.kind) ? await this.inventory.load(tx) : held.inv;
          return stateOf(tx, inv, next, observed, secretInputs(v.spec, v.clean), this.settings);
        })
        .catch((e: unknown) => {
          if (e instanceof FenceLost) return false as const;
          throw e;
        });
    } catch (e) {
      throw afterBackendWrite(what, e);
    }
    if (state) return state;
    // The fence was lost while the controller worked (our lease expired and another run settled
    // the row). What we wrote is undone: a create's object is removed when nothing owns the
    // identity now; an update's previous spec is re-applied under a new hold when the ledger
    // still records it (a re-apply of exactly the ledger's spec; secrets from this call, when
    // they did not change).
    const undone = record.state === "pending" ? await removeUnowned(this.ledger, this.controllers, fence.kind, fence.key, this.leaseMs, "a create that lost its reservation") : await this.restorePrevious(record, v);
    throw new OtterscaleError(
      "conflict",
      `${what}: the reservation was settled by another run while the controller worked (its lease expired)${undone ? "; what this run wrote was undone" : ""}; run again`,
    );
  }

  /** Re-applies the spec an update replaced, when the ledger still records it; true when done. */
  private async restorePrevious(record: LedgerRecord, v: Validated): Promise<boolean> {
    const prev = record.prev;
    if (!prev || canonical(prev.secrets) !== canonical(v.digests)) return false;
    return this.create(record.kind, { ...prev.spec, ...secretInputs(v.spec, v.clean) }).then(
      () => true,
      () => false, // the ledger records something else now: nothing of ours to restore
    );
  }

  private release(record: LedgerRecord, cause: unknown): Promise<string> {
    const reason = OtterscaleError.isInstance(cause) ? cause.code : "controller error";
    return this.settle(record, "release", { op: "release", reason }, `release ${record.kind} ${record.key}`).then((r) =>
      r === false ? "another run settled the reservation meanwhile" : "the reservation was released",
    );
  }

  /**
   * A create whose controller call failed may still have written (a PATCH that landed before the
   * connection dropped): ask the backend, remove what it holds while the row is still ours, then
   * release. When the backend cannot answer, the row stays held for reconcile.
   */
  private async settleFailedCreate(record: LedgerRecord, cause: unknown): Promise<string> {
    if (OtterscaleError.isInstance(cause) && cause.details.nothingWritten === true) return this.release(record, cause);
    const c = this.controllers.forKind(record.kind);
    try {
      if (await c.get(record.key)) await c.delete(record.key);
    } catch {
      return "the backend could not say whether it created the object: the reservation stays held until its lease expires and reconcile settles it";
    }
    return this.release(record, cause);
  }

  /** A create whose controller call finished after its timeout: its object is removed and the reservation released. */
  private async undoLateCreate(record: LedgerRecord): Promise<void> {
    const fence = fenceOf(record);
    const marked = await this.ledger.transaction(async (tx) => {
      const cur = await heldRow(tx, fence);
      if (!cur) return undefined;
      const next: LedgerRecord = { ...cur, state: "deleting", generation: cur.generation + 1, updatedAt: Date.now() };
      await tx.put(next);
      await tx.appendAudit({ at: Date.now(), op: "undo-late-create", kind: cur.kind, key: cur.key, tenant: cur.tenant, grp: cur.grp, delta: {}, opId: cur.opId });
      return next;
    });
    if (!marked) return;
    const removing = this.controllers.forKind(record.kind).delete(record.key);
    keepLease(this.ledger, fenceOf(marked), this.leaseMs, removing); // a slow delete must not look abandoned
    await removing;
    await this.settle(marked, "release", { op: "release", reason: "timeout" }, `undo create ${record.kind} ${record.key}`);
  }

  /**
   * After an update (or re-apply) failed or timed out: ask the controller what it now runs and
   * charge that. Until it answers, the row keeps holding the larger of old and new.
   */
  private async settleByObservation(record: LedgerRecord, newSpec: Record<string, unknown>): Promise<string> {
    let observed: ObservedObject | undefined;
    try {
      observed = await this.controllers.forKind(record.kind).get(record.key);
    } catch {
      return "the backend could not say what it runs: the larger of the old and new size stays held until the lease expires and reconcile asks again";
    }
    const outcome: Outcome = updateOutcome(observed, newSpec, record.prev?.spec ?? record.spec);
    const settled = await this.settle(record, outcome, { op: `${outcome}-observed`, ...(observed ? { observed } : {}), reason: observed ? `the backend runs the ${outcome === "commit" ? "new" : "old"} spec` : "the backend has no such object" }, `settle ${record.kind} ${record.key}`);
    if (settled === false) return "another run settled the change meanwhile";
    if (!observed) return "the backend has no such object: the ledger keeps the old spec, and the object reads as missing";
    return outcome === "commit" ? "the backend already runs the new spec, so the ledger now charges it" : "the backend runs the old spec, so the change was rolled back";
  }

  /** After a delete failed or timed out: gone on the backend -> released; still there -> restored. */
  private async settleDeleteByObservation(record: LedgerRecord): Promise<string> {
    let observed: ObservedObject | undefined;
    try {
      observed = await this.controllers.forKind(record.kind).get(record.key);
    } catch {
      return "the backend could not say whether the object is gone: the row stays held until the lease expires and reconcile asks again";
    }
    const outcome: Outcome = observed ? "restore" : "release";
    const settled = await this.settle(record, outcome, { op: observed ? "delete-failed" : "delete", reason: observed ? "the backend still has the object" : "the backend no longer has the object" }, `settle delete ${record.kind} ${record.key}`);
    if (settled === false) return "another run settled the delete meanwhile";
    return observed ? "the object is kept in the ledger" : "the object is gone on the backend, so its reservation was released";
  }

  private leaseUntil(): number {
    return Date.now() + this.leaseMs;
  }
}

function limitsOfOp(opts: OperationOptions): Limits {
  return { ...(opts.timeoutMs ? { deadline: Date.now() + opts.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
}

/**
 * Adapters honour the deadline themselves and end at about the same moment as the engine's own
 * timer: a short grace lets such a call end on its own, so it settles now (with the adapter's
 * precise message) instead of lingering.
 */
const DEADLINE_GRACE_MS = 250;

/** True when `p` settles within `ms`. */
function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}

function controllerFailed(what: string, e: unknown, outcome = "the reservation was released"): OtterscaleError {
  if (OtterscaleError.isInstance(e) && e.code === "timeout") return new OtterscaleError("timeout", `${e.message}; ${outcome}`, e.problems, e.details);
  const msg = e instanceof Error ? e.message : String(e);
  if (OtterscaleError.isInstance(e) && e.code !== "controller_failed") {
    return new OtterscaleError(e.code, `${e.message}; ${outcome}`, e.problems, e.details);
  }
  return new OtterscaleError("controller_failed", `${what}: the backend controller failed (${msg}); ${outcome}`);
}

/**
 * A ledger failure after the backend was written: "nothing was written" would be false. Say what
 * is true — the backend changed, the reservation stays held, the next run settles it.
 */
function afterBackendWrite(what: string, e: unknown): unknown {
  if (!OtterscaleError.isInstance(e) || !["unavailable", "busy", "timeout", "conflict"].includes(e.code)) return e;
  return new OtterscaleError(
    e.code,
    `${what}: the backend was already changed, but the ledger could not record the outcome (${e.message}). The reservation stays held; run the operation again, or \`otterscale reconcile --apply\` once its lease has expired, to settle it`,
    e.problems,
    { ...e.details, backendWritten: true },
  );
}

export type { Validated, Inventory, Fence };
export { limitsOf };
