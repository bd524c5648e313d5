/**
 * State remembers the ledger it was written against (Terraform private state, a Pulumi output).
 * State used against another ledger (a changed ledger_url, a restored backup, a copied
 * workspace) would read every object as deleted, or act on objects it never made: refused, with
 * both ids named. State written before ledgers had ids (nothing remembered) is accepted.
 */
import { OtterscaleError } from "../domain/errors";

export function checkStateLedger(remembered: string | undefined, ledgerId: string, ledgerUrl: string, subject: string): void {
  if (remembered === undefined || remembered === "" || remembered === ledgerId) return;
  throw new OtterscaleError(
    "config",
    `${subject} was written against ledger ${remembered}, but the configured ledger ${ledgerUrl} is ledger ${ledgerId}. ` +
      "Point the ledger setting (Terraform `ledger_url`, Pulumi `otterscale:ledgerUrl`, or OTTERSCALE_LEDGER_URL) back at the ledger this state belongs to; if the ledger really moved, move it with `otterscale ledger migrate` (which keeps its id)",
    [{ path: "ledger_url", message: `state belongs to ledger ${remembered}` }],
    { stateLedger: remembered, ledger: ledgerId },
  );
}
