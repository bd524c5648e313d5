/**
 * The identity guard between a ledger and its backend location. A location that another ledger
 * owns, or that holds nothing while the ledger records objects (a mistyped controller_url, a
 * manifests directory missing during a checkout), is refused: read naively, either would say
 * "everything was deleted" and a plan would propose to re-create the estate. Checking is
 * read-only; the first mutation claims an unmarked location for its ledger.
 */
import type { Controllers } from "../controllers/types";
import { OtterscaleError } from "../domain/errors";
import type { Ledger, LedgerRecord } from "../ledger/records";

export class LocationGuard {
  private checked?: Promise<void>;
  private claimed?: Promise<void>;

  constructor(
    private readonly ledger: Ledger,
    private readonly controllers: Controllers,
  ) {}

  /** Throws `config` when the location is foreign or empty while the ledger is not. Cached once it passes. */
  check(): Promise<void> {
    this.checked ??= this.verify().catch((e) => {
      this.checked = undefined;
      throw e;
    });
    return this.checked;
  }

  /** `check`, then mark an unmarked location as this ledger's (before the first backend write). */
  async claim(): Promise<void> {
    await this.check();
    const loc = this.controllers.location;
    if (!loc) return;
    this.claimed ??= (async () => {
      if ((await loc.owner()) !== this.ledger.id) await loc.claim(this.ledger.id);
    })().catch((e) => {
      this.claimed = undefined;
      throw e;
    });
    return this.claimed;
  }

  /** True when the backend has at least one of `rows` (one listing per kind that has rows). */
  private async holdsAnyOf(rows: readonly LedgerRecord[]): Promise<boolean> {
    const byKind = new Map<string, Set<string>>();
    for (const r of rows) byKind.set(r.kind, (byKind.get(r.kind) ?? new Set()).add(r.key));
    for (const [kind, keys] of byKind) {
      let listed: string[];
      try {
        listed = await this.controllers.forKind(kind as LedgerRecord["kind"]).list();
      } catch (e) {
        if (OtterscaleError.isInstance(e) && e.code === "config") continue; // a kind the adapter does not serve
        throw e;
      }
      if (listed.some((k) => keys.has(k))) return true;
    }
    return false;
  }

  private async verify(): Promise<void> {
    const loc = this.controllers.location;
    if (!loc) return;
    const owner = await loc.owner();
    if (owner === this.ledger.id) return;
    if (owner !== undefined) {
      throw new OtterscaleError(
        "config",
        `controller location ${loc.label} belongs to ledger ${owner}, but ledger_url ${this.ledger.url} is ledger ${this.ledger.id}; point controller_url and ledger_url at the same estate`,
        [{ path: "controller_url", message: `belongs to ledger ${owner}` }],
        { locationLedger: owner, ledger: this.ledger.id },
      );
    }
    const recordedRows = await this.ledger.read((tx) => tx.list({ states: ["active", "updating", "deleting"] }));
    const recorded = recordedRows.length;
    if (!(await loc.isEmpty())) {
      // Unmarked but not empty: written before locations were marked — or another estate's. It
      // is this ledger's only if it holds some of the objects the ledger records.
      if (await this.holdsAnyOf(recordedRows)) return; // claimed on the next write
      throw new OtterscaleError(
        "config",
        `controller location ${loc.label} holds objects, but none of the ${recorded} that ledger ${this.ledger.id} (${this.ledger.url}) records; it looks like another estate's. ` +
          "Check controller_url; if this location really is this ledger's, mark it with `otterscale controller claim`",
        [{ path: "controller_url", message: "holds another estate's objects" }],
        { ledger: this.ledger.id },
      );
    }
    if (recorded === 0) return;
    throw new OtterscaleError(
      "config",
      `controller location ${loc.label} holds nothing of ledger ${this.ledger.id} (${this.ledger.url}), which records ${recorded} object${recorded === 1 ? "" : "s"}; ` +
        "check controller_url for a typo (or wait until a checkout of the manifests directory finishes). If this location is right and its objects were really lost, " +
        "mark it as this ledger's with `otterscale controller claim`, then plan again: the lost workloads show as missing and are re-created in place",
      [{ path: "controller_url", message: "holds nothing of this ledger" }],
      { ledger: this.ledger.id },
    );
  }
}
