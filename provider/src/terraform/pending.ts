/**
 * Addresses of the changes a Terraform run plans (the batch itself is the engine's review
 * session, engine/review/session.ts).
 *
 * PlanResourceChange carries no resource address, so changes are keyed by type and identity
 * (`otterscale_virtual_machine[team-a/web-1]`): re-planning the same resource (Terraform plans
 * again at apply time, and plans a replace twice) overwrites its entry instead of counting it
 * twice. An applied entry stays (the engine's plan finds its object in the ledger and does not
 * count it twice); an entry whose apply failed is forgotten.
 */
import type { ResourceKind } from "../catalog/catalog";
import { knownKeyOf } from "../catalog/identity";

/**
 * Identity of a resource from its arguments, following the schema's `x-import-id`
 * (`name`, `tenant/name`, `tenant/group`); undefined while a part is unknown or unset.
 *
 * Example: `identityOf("virtual_machine", { tenant: "a", name: "web" })` -> `"a/web"`.
 */
export const identityOf = (kind: ResourceKind, args: Record<string, unknown>): string | undefined => knownKeyOf(kind, args);

export const addressOf = (typeName: string, identity: string | undefined): string => `${typeName}[${identity ?? "(unknown)"}]`;
