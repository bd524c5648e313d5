/**
 * Declared ownership. Every ledger object records who declared it: a Terraform workspace or a
 * Pulumi stack (the front end names it; see the README, "Workspaces, stacks and ownership"). A
 * create of an existing object is a retry only for its owner; anyone else's create, update or
 * delete is refused with the owner named. A takeover is explicit (`terraform import`, Pulumi
 * `adopt: true`) and audited. Callers that name no owner (the engine API, the operator CLI) are
 * not checked; rows from before owners were recorded (null) belong to the first owner that
 * declares them again.
 */
import { OtterscaleError } from "../domain/errors";
import type { LedgerRecord } from "../ledger/records";
import { idFormatOf } from "./records";
import { identityAttribute } from "../catalog/identity";

export type OwnedAction = "create" | "update" | "delete";

/** Throws `owned` when `owner` may not act on `rec`. */
export function checkOwner(rec: LedgerRecord, owner: string | undefined, action: OwnedAction): void {
  if (owner === undefined || !rec.owner || rec.owner === owner) return;
  const path = identityAttribute(rec.kind);
  throw new OtterscaleError(
    "owned",
    `${rec.kind} ${rec.key} belongs to ${rec.owner}, so ${owner} cannot ${action} it`,
    [{ path, message: `belongs to ${rec.owner}` }],
    { owner: rec.owner, requestedBy: owner, remedy: "takeover", id: rec.key },
    action === "create"
      ? {
          sep: ". ",
          terraform: `Choose another name, or take it over on purpose: terraform import (ID "${rec.key}", format ${idFormatOf(rec.kind)}) or Pulumi \`adopt: true\`; the transfer is recorded in the audit log`,
          pulumi: "Choose another name, or take it over on purpose: set `adopt: true` on the resource; the transfer is recorded in the audit log",
        }
      : {
          sep: ". ",
          terraform: "Only its owner changes or deletes it; to take it over on purpose, import it (Terraform) or adopt it (Pulumi `adopt: true`)",
          pulumi: "Only its owner changes or deletes it; to take it over on purpose, set `adopt: true` on the resource",
        },
  );
}

/** The owner a row keeps after `owner` re-declares or changes it: the caller's, else its own. */
export function ownerAfter(rec: LedgerRecord, owner: string | undefined): string | null {
  return owner ?? rec.owner ?? null;
}

/** True when `owner` sees `rec` as its own (reads by another owner see it as gone). */
export function visibleTo(rec: LedgerRecord, owner: string | undefined): boolean {
  return owner === undefined || !rec.owner || rec.owner === owner;
}
