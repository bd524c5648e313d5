/**
 * The held-write protocol every mutation follows: take the object's row (a reservation with a
 * lease and a fence), call the controller while holding it, then settle the row with what the
 * backend now runs. A controller call that outlives its deadline returns a timeout at once and
 * settles later (the row stays held until then, so nothing leaks); `idle()` waits for those.
 * What a failure settles to is decided in settlement.ts.
 */
import type { Controllers, KindController, ObservedObject } from "../controllers/types";
import { OtterscaleError } from "../domain/errors";
import { FenceLost, type Ledger, type LedgerRecord, type LedgerTx, type Prefetch } from "../ledger/records";
import { isInventoryKind } from "../kinds";
import type { ResourceKind } from "../catalog/catalog";
import type { OperationOptions, State } from "./contract";
import type { Inventory, InventoryCache } from "./inventory";
import { canonical } from "./records";
import { stateOf } from "./state";
import { reconcileStale } from "./reconcile";
import { withDeadline } from "./deadline";
import { isStale } from "./ownership";
import { busyRow, fenceOf, heldRow, keepLease, reservedRow, withBoundedRetry } from "./fence";
import { settleRow, type Outcome } from "./settle";
import type { Validated } from "./reserve";
import { desiredOf, secretInputs, type RenderSettings } from "./desired";
import type { DecisionContext } from "./decision-context";
import type { LocationGuard } from "./location";
import { removeUnowned } from "./orphans";

/** A row this operation holds, and what the controller is asked to make exist. */
export interface Held {
  readonly record: LedgerRecord;
  readonly desired: ReturnType<typeof desiredOf>;
  /** The inventory the reservation decided on. */
  readonly inv: Inventory;
}

/** An operation's deadline and cancellation, as controllers and the ledger take them. */
export interface Limits {
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

export function limitsOfOp(opts: OperationOptions): Limits {
  return { ...(opts.timeoutMs ? { deadline: Date.now() + opts.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
}

/** How a controller call that did not succeed in time is settled (settlement.ts decides). */
export interface OnFailure {
  /** The call failed (or timed out and ended within the grace): settle now; a string says what happened. */
  readonly failed: (e: unknown) => Promise<unknown>;
  /** The call outlived its deadline and has now ended. */
  readonly late: (outcome: { ok: boolean; error?: unknown }) => Promise<unknown>;
}

export class HeldWrites {
  /** Operations whose controller call outlived their deadline: opId -> its settlement. */
  readonly lingering = new Map<string, Promise<void>>();
  private staleSettled?: Promise<void>;

  constructor(
    readonly ledger: Ledger,
    readonly controllers: Controllers,
    readonly leaseMs: number,
    private readonly location: LocationGuard,
    private readonly inventory: InventoryCache,
    private readonly settings: RenderSettings,
    /** Re-applies a spec under a new hold (restoring what a lost update replaced). */
    private readonly recreate: (kind: ResourceKind, args: Record<string, unknown>) => Promise<unknown>,
  ) {}

  /** What an operation holds: its row, what the controller is asked for (rendered from `rendered`), the inventory decided on. */
  heldOf(ctx: DecisionContext, record: LedgerRecord, spec: Record<string, unknown>, rendered: LedgerRecord = record): Held {
    return { record, desired: desiredOf(ctx.inv, rendered, spec, this.settings), inv: ctx.inv };
  }

  leaseUntil(): number {
    return Date.now() + this.leaseMs;
  }

  /**
   * Before the first backend write of this engine: the location must be this ledger's (claimed if
   * unmarked), and rows a crashed run left behind are settled once.
   */
  async beforeWrite(limits: Limits): Promise<void> {
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
   * bounded number of times; a stale one is settled against the controller first. `reads` are
   * what `reserve` will read (the row at least), fetched up front where the ledger can (one round trip).
   * `speculative`: `reserve` declares its decision's bounds (TxOptions.speculative).
   */
  hold<T extends Held | undefined>(
    kind: ResourceKind,
    key: string,
    limits: Limits,
    reserve: (tx: LedgerTx, existing: LedgerRecord | undefined) => Promise<T>,
    reads?: Prefetch,
    speculative = false,
  ): Promise<T> {
    return withBoundedRetry(async () => {
      const r = await this.ledger.transaction(async (tx): Promise<{ busy: LedgerRecord } | { held: T }> => {
        await tx.prefetch?.(reads ?? { rows: [[kind, key]] });
        const existing = await tx.get(kind, key);
        if (existing && existing.state !== "active") return { busy: existing };
        return { held: await reserve(tx, existing) };
      }, { ...limits, speculative });
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
  async call<T>(held: Held, limits: Limits, what: string, fn: (c: KindController, ctx: Limits) => Promise<T>, on: OnFailure): Promise<T> {
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
  async settle(record: LedgerRecord, outcome: Outcome, o: Parameters<typeof settleRow>[3], what: string): Promise<LedgerRecord | undefined | false> {
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

  /** Records the backend's answer for a held create or update and returns the resulting state. */
  async commit(held: Held, observed: ObservedObject, v: Validated, what: string): Promise<State> {
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
        }, { speculative: true }) // reads nothing under the lock: one message on PostgreSQL
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
    return this.recreate(record.kind, { ...prev.spec, ...secretInputs(v.spec, v.clean) }).then(
      () => true,
      () => false, // the ledger records something else now: nothing of ours to restore
    );
  }

  /** Resolves once every timed-out operation has settled with its late controller call. */
  async idle(): Promise<void> {
    while (this.lingering.size) await Promise.all([...this.lingering.values()]);
  }
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
