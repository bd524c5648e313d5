/**
 * The engine: the one door front ends use. Every mutation runs validation -> quota -> placement
 * -> reservation (a held row, with a lease) -> controller call -> settlement, and every
 * controller write happens while the operation holds its object's row (fence.ts). Reads never
 * write: not the ledger, not the backend.
 *
 * This file orchestrates the operations; the protocol lives in held-write.ts (hold, call,
 * settle, commit), what a failure settles to in settlement.ts, and reads in object-reads.ts.
 */
import { Queries } from "./queries";
import type { Controllers } from "../controllers/types";
import { OtterscaleError } from "../domain/errors";
import type { Ledger, LedgerTx } from "../ledger/records";
import { typeNameOf, type DataSourceKind, type ResourceKind } from "../catalog/catalog";
import { validateInput } from "../catalog/validate";
import type { EngineApi, OperationOptions, PlannedChange, PlanResult, ReadOptions, State } from "./contract";
import { isWorkload, limitsOf, type DecisionContext } from "./decide";
import { InventoryCache, type Inventory } from "./inventory";
import { PlacementIndexes } from "./placement-indexes";
import { validateSpec } from "./semantics";
import { Planner } from "./plan";
import { reconcileStale, reconcileBackend, type BackendFinding, type ReconcileDecision } from "./reconcile";
import { asOperation } from "./ownership";
import type { Fence } from "./fence";
import { checkDelete, checkSameAsExisting, identityPath, reservationReads, reserveCreate, reserveDelete, reserveReapply, reserveUpdate, type Validated } from "./reserve";
import type { RenderSettings } from "./desired";
import { readDataSource } from "./data-sources";
import { LocationGuard } from "./location";
import { checkOwner } from "./owners";
import { ObjectReads } from "./object-reads";
import { HeldWrites, limitsOfOp } from "./held-write";
import { onCreateFailure, onDeleteFailure, onUpdateFailure } from "./settlement";

export class Engine implements EngineApi {
  private readonly inventory = new InventoryCache();
  private readonly placement = new PlacementIndexes();
  private planner?: Planner;
  private readonly location: LocationGuard;
  /** The held-write protocol: hold the row, call the controller, settle (held-write.ts). */
  private readonly writes: HeldWrites;
  /** Reads of one object, and what they found (object-reads.ts). */
  private readonly reads: ObjectReads;
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
    this.reads = new ObjectReads(ledger, controllers, this.inventory, this.location, settings);
    this.writes = new HeldWrites(ledger, controllers, leaseMs, this.location, this.inventory, settings, (kind, args) => this.create(kind, args));
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
    return validateSpec(kind, args);
  }

  private async context(tx: LedgerTx): Promise<DecisionContext> {
    return { tx, inv: await this.inventory.load(tx), placement: this.placement };
  }

  private run<T>(fn: (opId: string) => Promise<T>): Promise<T> {
    return asOperation(fn, (opId) => this.writes.lingering.get(opId));
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
    await this.writes.beforeWrite(limits);
    const reads = reservationReads(kind, v, this.inventory.peek());
    const held = await this.writes.hold(kind, v.key, limits, async (tx, existing) => {
      const ctx = await this.context(tx);
      if (!existing) {
        const record = await reserveCreate(ctx, kind, v, opId, Date.now(), this.writes.leaseUntil(), opts.owner);
        return this.writes.heldOf(ctx, record, v.spec);
      }
      // A retry by its owner, or the re-creation of an object missing on the backend: re-applied
      // under the same reservation and on the same servers, charged exactly as before.
      checkOwner(existing, opts.owner, "create");
      checkSameAsExisting(kind, existing, v);
      const record = await reserveReapply(ctx, existing, opId, Date.now(), this.writes.leaseUntil(), opts.owner);
      return this.writes.heldOf(ctx, record, v.spec, existing);
    }, reads, isWorkload(kind)); // a workload decision declares its bounds: it may speculate
    const what = `create ${kind} ${v.key}`;
    const observed = await this.writes.call(held, limits, what, (c, ctx) => c.apply(held.desired, ctx), onCreateFailure(this.writes, held.record, v.spec));
    this.reads.written(kind, v.key);
    return this.writes.commit(held, observed, v, what);
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
    await this.writes.beforeWrite(limits);
    const held = await this.writes.hold(kind, id, limits, async (tx, existing) => {
      if (!existing) throw new OtterscaleError("not_found", `${kind} ${id} does not exist in the ledger`);
      if (!opts.takeover) checkOwner(existing, opts.owner, "update");
      const ctx = await this.context(tx);
      const record = await reserveUpdate(ctx, kind, id, v, opId, Date.now(), this.writes.leaseUntil(), opts.takeover ? opts.owner : undefined);
      return this.writes.heldOf(ctx, record, v.spec);
    }, reservationReads(kind, v, this.inventory.peek()));
    const what = `update ${kind} ${id}`;
    const observed = await this.writes.call(held, limits, what, (c, ctx) => c.apply(held.desired, ctx), onUpdateFailure(this.writes, held.record, v.spec));
    return this.writes.commit(held, observed, v, what);
  }

  // ---------------------------------------------------------------- delete

  delete(kind: ResourceKind, id: string, opts: OperationOptions = {}): Promise<void> {
    return this.run((opId) => this.deleteAs(opId, kind, id, opts));
  }

  private async deleteAs(opId: string, kind: ResourceKind, id: string, opts: OperationOptions): Promise<void> {
    const limits = limitsOfOp(opts);
    await this.writes.beforeWrite(limits);
    const held = await this.writes.hold(kind, id, limits, async (tx, existing) => {
      if (!existing) return undefined; // already gone: deleting is idempotent
      checkOwner(existing, opts.owner, "delete");
      const ctx = await this.context(tx);
      const record = await reserveDelete(ctx, existing, opId, Date.now(), this.writes.leaseUntil());
      return this.writes.heldOf(ctx, record, record.spec);
    });
    if (!held) return;
    const what = `delete ${kind} ${id}`;
    await this.writes.call(held, limits, what, (c, ctx) => c.delete(id, ctx), onDeleteFailure(this.writes, held.record));
    const settled = await this.writes.settle(held.record, "release", { op: "delete" }, what);
    if (settled === false) {
      throw new OtterscaleError("conflict", `${what}: the object was deleted on the backend, but another run took over its reservation meanwhile (its lease had expired); run again to reconcile`);
    }
    this.reads.written(kind, id);
  }

  // ---------------------------------------------------------------- read / import

  /**
   * The object as the ledger and the backend see it now. Writes nothing: a workload missing on
   * the backend reads as gone (so the front end plans its re-creation) while its row and
   * allocations stay held, and a stale reservation is left for the next mutation or reconcile.
   * Concurrent reads (a refresh) share one ledger transaction: read-batch.ts.
   */
  read(kind: ResourceKind, id: string, opts: ReadOptions = {}): Promise<State | undefined> {
    return this.reads.read(kind, id, opts);
  }

  /**
   * What the last read of the object found changed on the backend, one line per rendered value
   * (`spec.template.spec.nodeSelector["kubernetes.io/hostname"]: rendered "s1", found "s2"`);
   * empty when it found none. For front ends' warnings.
   */
  driftOf(kind: ResourceKind, id: string): readonly string[] {
    return this.reads.driftOf(kind, id);
  }

  credentials(kind: ResourceKind, id: string, opts: ReadOptions = {}): Promise<string | undefined> {
    return this.reads.credentials(kind, id, opts);
  }

  import(kind: ResourceKind, id: string): Promise<State> {
    return this.reads.import(kind, id);
  }

  secretDigests(kind: ResourceKind, id: string): Promise<Record<string, string>> {
    return this.reads.secretDigests(kind, id);
  }

  ownerOf(kind: ResourceKind, id: string): Promise<string | null | undefined> {
    return this.reads.ownerOf(kind, id);
  }

  // ---------------------------------------------------------------- plan / data sources

  private plannerOf(): Planner {
    this.planner ??= new Planner(this.ledger, {
      validate: (kind, args) => this.validate(kind, args),
      reserveCreate,
      reserveUpdate,
      checkDelete,
      isMissing: (kind, key) => this.reads.isMissing(kind, key),
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
        return this.reads.driftLines(inv, r, observed);
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
  idle(): Promise<void> {
    return this.writes.idle();
  }

  async close(): Promise<void> {
    // Let timed-out operations settle their late controller calls first (nothing leaks).
    await this.idle();
    await this.controllers.close?.();
    await this.ledger.close();
  }
}

export type { Validated, Inventory, Fence };
export { limitsOf };
