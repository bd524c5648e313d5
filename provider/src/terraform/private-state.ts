/**
 * The provider's private state: opaque bytes Terraform stores per resource instance and hands
 * back on every call. It carries the id of the ledger the object was written to.
 */
import { checkStateLedger } from "../engine/state-ledger";

type Bytes = Uint8Array | Buffer | undefined | null;

interface Private {
  readonly ledger_id?: string;
}

function parse(bytes: Bytes): Private {
  if (!bytes || !bytes.length) return {};
  try {
    const v = JSON.parse(Buffer.from(bytes).toString("utf8")) as unknown;
    return v && typeof v === "object" ? (v as Private) : {};
  } catch {
    return {}; // not ours (or from an older version): nothing remembered
  }
}

/** Private state that remembers `ledgerId` (other keys kept). */
export function privateFor(ledgerId: string, prior?: Bytes): Buffer {
  return Buffer.from(JSON.stringify({ ...parse(prior), ledger_id: ledgerId }), "utf8");
}

/** Refuses private state written against another ledger (both ids named). */
export function checkPrivate(bytes: Bytes, engine: { readonly ledgerId: string; readonly ledgerLabel: string }, subject: string): void {
  checkStateLedger(parse(bytes).ledger_id, engine.ledgerId, engine.ledgerLabel, subject);
}
