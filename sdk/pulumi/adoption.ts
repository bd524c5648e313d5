/**
 * What `adopt: true` may take over: the one rule both the create that adopts and the preview that
 * checks it use, so a preview fails exactly where `pulumi up` would.
 *
 * Adoption updates the existing object in place to the program's configuration, so every
 * attribute that cannot change in place (force-new: `group`, `failureDomain`, ...) must already
 * match. Example: the ledger has VM acme/web in group g; the program declares it in g2 with
 * `adopt: true` -> refused, naming `group`, before anything is written.
 */
import { OtterscaleError } from "../../provider/src/domain/errors";
import { canonical } from "../../provider/src/engine/records";
import { forceNewAttributes, type ResourceKind } from "../../provider/src/catalog/catalog";

type Props = Record<string, unknown>;

/** The refusal of adopting `current` (as the ledger has it) as `spec` (the program's), if any; snake_case both. */
export function adoptionRefusal(kind: ResourceKind, key: string, current: Props, spec: Props): OtterscaleError | undefined {
  const differs = forceNewAttributes(kind).filter((attr) => canonical(current[attr]) !== canonical(spec[attr]));
  if (!differs.length) return undefined;
  const what = differs.map((attr) => `${attr} is ${JSON.stringify(current[attr])} in the ledger but ${JSON.stringify(spec[attr])} in the program`).join("; ");
  return new OtterscaleError(
    "invalid_input",
    `cannot adopt ${kind} ${key}: ${what}, and it cannot change in place; declare it as the ledger has it to adopt it, or choose another name`,
    differs.map((attr) => ({ path: attr, message: "differs from the adopted object" })),
  );
}
