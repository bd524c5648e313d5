/**
 * Coalesced reads. A Terraform refresh sends one ReadResource per resource, up to its
 * parallelism at once; answered one by one, each costs two ledger transactions and an inventory
 * check. Here reads that arrive together (in the same turn of the event loop, or while a batch is
 * running) are answered as one batch: one ledger read transaction for every record and the
 * states computed from it, and one location check.
 *
 * Freshness: a batch's snapshot is taken after every read in it arrived, and a read that arrives
 * while a batch runs waits for the next batch, so no read is answered from data older than its
 * call. Reads never write (a read-only ledger transaction; backend `get`s only).
 */
import type { Answer, Controllers, DesiredObject, KindController, ObservedObject } from "../controllers/types";
import type { Ledger, LedgerRecord } from "../ledger/records";
import type { ResourceKind } from "../catalog/catalog";
import { DRIFTED, type ReadOptions, type State } from "./contract";
import { isWorkload } from "./decide";
import type { Inventory, InventoryCache } from "./inventory";
import { visibleTo } from "./owners";
import { isTombstone } from "./reserve";
import { stateOf } from "./state";
import { ledgerDesired } from "./manifests";
import type { RenderSettings } from "./render-settings";

export interface ReadRequest {
  readonly kind: ResourceKind;
  readonly id: string;
  readonly opts: ReadOptions;
}

/** One answer per request: the state, undefined (gone), or the error of that read alone. */
export type ReadAnswer = Answer<State | undefined>;

interface Waiting extends ReadRequest {
  resolve(v: State | undefined): void;
  reject(e: unknown): void;
}

/** Queues reads and runs them in batches, one batch at a time. */
export class ReadCoalescer {
  private queue: Waiting[] = [];
  private running = false;
  private scheduled = false;

  constructor(private readonly runBatch: (reqs: readonly ReadRequest[]) => Promise<ReadAnswer[]>) {}

  read(kind: ResourceKind, id: string, opts: ReadOptions): Promise<State | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind, id, opts, resolve, reject });
      this.schedule();
    });
  }

  /** The next batch starts once the event loop has taken the reads that arrived with this one. */
  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    this.running = true;
    try {
      const answers = await this.runBatch(batch);
      batch.forEach((w, i) => {
        const a = answers[i];
        if (a.ok) w.resolve(a.value);
        else w.reject(a.error);
      });
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.running = false;
      if (this.queue.length) this.schedule();
    }
  }
}

export interface BatchReadDeps {
  readonly ledger: Ledger;
  readonly controllers: Controllers;
  readonly inventory: InventoryCache;
  /** The location guard's check (cached once it passes; it reads the ledger itself). */
  checkLocation(): Promise<void>;
  /** Provider settings that shape manifests (gpu_devices, vcluster_chart_version). */
  readonly settings: RenderSettings;
  /** Records what a read learnt about a workload missing on the backend (engine.missing). */
  noteMissing(kind: ResourceKind, id: string, missing: boolean): void;
  /** Rendered values the backend copy no longer holds, one line each (empty: no drift); `desired` as in stateOf. */
  drift(inv: Inventory, rec: LedgerRecord, observed: ObservedObject, desired?: DesiredObject): string[];
  /** Records what a read found drifted (engine.driftOf answers from it). */
  noteDrift(kind: ResourceKind, id: string, lines: string[]): void;
}

/** The backend's view of `keys`, one answer each. */
async function observeAll(c: KindController, keys: readonly string[], expected: readonly (DesiredObject | undefined)[]): Promise<Answer<ObservedObject | undefined>[]> {
  if (c.getMany) return c.getMany(keys, expected);
  return Promise.all(keys.map((k) => settle(c.get(k))));
}

/** The rendering the backend should hold for `rec`; undefined when it cannot be rendered (the read then parses, and fails alone if it must). */
function expectedOf(inv: Inventory, rec: LedgerRecord, settings: RenderSettings): DesiredObject | undefined {
  try {
    return ledgerDesired(inv, rec, settings);
  } catch {
    return undefined;
  }
}

const settle = <T>(p: Promise<T>): Promise<Answer<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/**
 * The object of each request as the ledger and the backend see it now, all from one ledger read
 * transaction (see Engine.read for what a single read answers).
 */
export async function readBatch(deps: BatchReadDeps, reqs: readonly ReadRequest[]): Promise<ReadAnswer[]> {
  // Before the transaction: the check reads the ledger on its own (a reader waiting on the
  // reader would deadlock). Its failure fails only the reads that need the backend.
  const location = await settle(deps.checkLocation());
  return deps.ledger.read(async (tx) => {
    // The transaction's queries run one after another (a PostgreSQL connection takes one query
    // at a time); only the backend reads, which do not touch it, run side by side.
    const inv = await deps.inventory.load(tx);
    const records: (LedgerRecord | undefined)[] = [];
    for (const r of reqs) records.push(await tx.get(r.kind, r.id));
    // Backend reads, per kind: in one call where the adapter offers one (getMany), else one by one.
    const needed = reqs.map((r, i) => {
      const rec = records[i];
      if (!rec || rec.state === "pending" || isTombstone(rec)) return false; // gone
      return visibleTo(rec, r.opts.owner); // taken over by another workspace or stack: gone from this one
    });
    const observed = new Array<Answer<ObservedObject | undefined | null>>(reqs.length).fill({ ok: true, value: null });
    // One per record read from the backend: the backend read, the drift check and `manifests`
    // then share one rendering of it (render/index.ts sharedRendering) instead of making three.
    const desired = new Array<DesiredObject | undefined>(reqs.length);
    if (!location.ok) needed.forEach((n, i) => n && (observed[i] = location));
    else {
      const byKind = new Map<ResourceKind, number[]>();
      needed.forEach((n, i) => n && (byKind.get(reqs[i].kind) ?? byKind.set(reqs[i].kind, []).get(reqs[i].kind)!).push(i));
      await Promise.all(
        [...byKind].map(async ([kind, idx]) => {
          const got = await settle(Promise.resolve().then(() => observeAll(deps.controllers.forKind(kind), idx.map((i) => reqs[i].id), idx.map((i) => (desired[i] = expectedOf(inv, records[i]!, deps.settings))))));
          idx.forEach((i, j) => (observed[i] = got.ok ? got.value[j] : got));
        }),
      );
    }
    const answers: ReadAnswer[] = [];
    for (const [i, r] of reqs.entries()) {
      const rec = records[i];
      const o = observed[i];
      if (!o.ok) answers.push(o);
      else if (o.value === null || !rec) answers.push({ ok: true, value: undefined });
      else if (!o.value && isWorkload(r.kind)) {
        deps.noteMissing(r.kind, r.id, true);
        answers.push({ ok: true, value: undefined });
      } else {
        deps.noteMissing(r.kind, r.id, false);
        // The backend runs something else than the engine rendered: the front end plans an update
        // that re-applies the rendered manifest (the ledger's placement and spec stay as they are).
        const observed = o.value;
        const drift = observed ? deps.drift(inv, rec, observed, desired[i]) : [];
        if (observed) deps.noteDrift(r.kind, r.id, drift);
        answers.push(
          await settle(stateOf(tx, inv, rec, observed ?? undefined, {}, deps.settings, desired[i]).then((s) => (!observed ? { ...s, status: "Missing" } : drift.length ? { ...s, status: DRIFTED } : s))),
        );
      }
    }
    return answers;
  });
}
