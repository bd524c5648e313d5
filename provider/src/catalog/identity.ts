/**
 * Identities, read from each kind's `x-import-id` (`name`, `tenant/name`, `tenant/group`): the
 * ledger key, the import ID, the gitops path and the Pulumi ID are all this one format.
 */
import { schemaOf, type ResourceKind } from "./catalog";

/** The attributes that make up a kind's identity, in order (`["tenant", "name"]`). */
export function identityFields(kind: ResourceKind): readonly string[] {
  const format = schemaOf(kind)["x-import-id"];
  if (!format) throw new Error(`schema: ${kind} declares no x-import-id`);
  return format.split("/");
}

/** The import/ID format, for messages: `tenant/name`. */
export const idFormatOf = (kind: ResourceKind): string => identityFields(kind).join("/");

/** The identity of an object from its attributes: `web` or `acme/web`. */
export const keyOf = (kind: ResourceKind, spec: Readonly<Record<string, unknown>>): string => identityFields(kind).map((f) => String(spec[f])).join("/");

/** The identity, or undefined while a part of it is unknown or unset (a plan's not-yet-computed name). */
export function knownKeyOf(kind: ResourceKind, spec: Readonly<Record<string, unknown>>): string | undefined {
  const parts = identityFields(kind).map((f) => spec[f]);
  return parts.every((p) => typeof p === "string" && p !== "") ? parts.join("/") : undefined;
}

/** The attributes an identity stands for (`acme/web` -> `{tenant: "acme", name: "web"}`), or undefined when malformed. */
export function parseKey(kind: ResourceKind, key: string): Record<string, string> | undefined {
  const fields = identityFields(kind);
  const parts = key.split("/");
  if (parts.length !== fields.length || parts.some((p) => p === "")) return undefined;
  return Object.fromEntries(fields.map((f, i) => [f, parts[i]]));
}

/** The attribute an error about the identity points at: `name` where there is one, else the first. */
export const identityAttribute = (kind: ResourceKind): string => (identityFields(kind).includes("name") ? "name" : identityFields(kind)[0]);
