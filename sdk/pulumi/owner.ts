/**
 * The Pulumi stack as the ledger's owner of what it declares (see provider/src/engine/owners.ts):
 * set by each resource at program time (`pulumi:<project>/<stack>`), carried as a front-end
 * input and as an output so that read, update and delete act as the same stack.
 */
export const OWNER_INPUT = "__otterscaleOwner";

/** The owner named in a resource's inputs or outputs; undefined for state written before owners. */
export function ownerIn(props: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const v = props?.[OWNER_INPUT];
  return typeof v === "string" && v ? v : undefined;
}
