/**
 * The identity guard between a ledger and its backend location. A location that another ledger
 * owns, or that holds nothing while the ledger records objects (a mistyped controller_url, a
 * manifests directory missing during a checkout), is refused: read naively, either would say
 * "everything was deleted" and a plan would propose to re-create the estate. Checking is
 * read-only; the first mutation claims an unmarked location for its ledger.
 */
import type { Controllers } from "../controllers/types";
import { OtterscaleError } from "../domain/errors";
import type { Ledger } from "../ledger/records";

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
    if (!(await loc.isEmpty())) return; // objects written before ledgers had ids: claimed on the next write
    const recorded = await this.ledger.read(async (tx) => (await tx.list({ states: ["active", "updating", "deleting"] })).length);
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
