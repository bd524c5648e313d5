/**
 * Reads of one object: state (through the read coalescer, so a refresh shares one ledger
 * transaction), credentials, import, secret digests and owner. Reads never write; what they find
 * (drift, objects missing on the backend) is remembered here for front ends' warnings and plans.
 */
import type { Controllers, DesiredObject, ObservedObject } from "../controllers/types";
import { describeDrift, renderedDrift } from "../controllers/render";
import { OtterscaleError } from "../domain/errors";
import type { Ledger, LedgerRecord } from "../ledger/records";
import type { ResourceKind } from "../catalog/catalog";
import type { ReadOptions, State } from "./contract";
import type { Inventory, InventoryCache } from "./inventory";
import { idFormatOf } from "./records";
import { isTombstone } from "./reserve";
import type { RenderSettings } from "./desired";
import type { LocationGuard } from "./location";
import { visibleTo } from "./owners";
import { ledgerDesired } from "./manifests";
import { ReadCoalescer, readBatch } from "./read-batch";

const objectId = (kind: ResourceKind, key: string) => `${kind}\u0000${key}`;

export class ObjectReads {
  /** Objects the last read found drifted on the backend: what changed, for front ends' warnings. */
  private readonly drifted = new Map<string, string[]>();
  /** Workloads a read found missing on the backend (their rows stay held; plans warn). */
  private readonly missing = new Set<string>();
  private readonly reads: ReadCoalescer;

  constructor(
    private readonly ledger: Ledger,
    private readonly controllers: Controllers,
    inventory: InventoryCache,
    private readonly location: LocationGuard,
    private readonly settings: RenderSettings,
  ) {
    this.reads = new ReadCoalescer((reqs) =>
      readBatch(
        {
          ledger,
          controllers,
          inventory,
          checkLocation: () => location.check(),
          settings,
          noteMissing: (kind, id, missing) => (missing ? this.missing.add(objectId(kind, id)) : this.missing.delete(objectId(kind, id))),
          drift: (inv, rec, observed, desired) => this.driftLines(inv, rec, observed, desired),
          noteDrift: (kind, id, lines) => (lines.length ? this.drifted.set(objectId(kind, id), lines) : this.drifted.delete(objectId(kind, id))),
        },
        reqs,
      ),
    );
  }

  read(kind: ResourceKind, id: string, opts: ReadOptions = {}): Promise<State | undefined> {
    return this.reads.read(kind, id, opts);
  }

  /** What the last read of the object found changed on the backend (empty when nothing). */
  driftOf(kind: ResourceKind, id: string): readonly string[] {
    return this.drifted.get(objectId(kind, id)) ?? [];
  }

  /** Rendered values (from the ledger's record, as the last apply rendered them) the backend no longer holds, one line each. */
  driftLines(inv: Inventory, rec: LedgerRecord, observed: ObservedObject, desired: DesiredObject = ledgerDesired(inv, rec, this.settings)): string[] {
    return renderedDrift(desired, observed).map(describeDrift);
  }

  isMissing(kind: ResourceKind, key: string): boolean {
    return this.missing.has(objectId(kind, key));
  }

  /** A write just made (or removed) the object on the backend: it is no longer missing. */
  written(kind: ResourceKind, key: string): void {
    this.missing.delete(objectId(kind, key));
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
}
