/**
 * The Pulumi stack, and the resource in it, as the ledger's owner of what it declares (see
 * provider/src/engine/owners.ts): set by each resource at program time
 * (`pulumi:<project>/<stack>#<resource>`), carried as a front-end input and as an output so that
 * read, update and delete act as the same owner.
 */
export const OWNER_INPUT = "__otterscaleOwner";

/** `pulumi:<project>/<stack>#<logical name>`. */
export function ownerOf(project: string, stack: string, resource: string): string {
  return `pulumi:${project}/${stack}#${resource}`;
}

/**
 * Who acts for state written before owners were recorded: it may act only on objects no owner
 * has claimed (engine/owners.ts), never on another stack's.
 */
export const UNRECORDED_OWNER = "pulumi:unrecorded";

/** The owner an existing resource acts as: the one its state recorded (a renamed resource keeps it). */
export function actingOwner(olds: Readonly<Record<string, unknown>> | undefined, news?: Readonly<Record<string, unknown>>): string {
  return ownerIn(olds) ?? ownerIn(news) ?? UNRECORDED_OWNER;
}

/** The owner named in a resource's inputs or outputs; undefined for state written before owners. */
export function ownerIn(props: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const v = props?.[OWNER_INPUT];
  return typeof v === "string" && v ? v : undefined;
}
