/**
 * Where each object lives in a gitops directory. One file per object, at a path derived only from
 * kind and key, so distinct objects never share a file and the layout reviews well in a PR:
 *
 *   <root>/_inventory/server/<name>.yaml
 *   <root>/_inventory/baremetal_group/<name>.yaml
 *   <root>/<tenant>/tenant_quota/<group>.yaml
 *   <root>/<tenant>/<virtual_machine|vcluster|block_pool>/<name>.yaml
 *
 * `_inventory` cannot clash with a tenant: tenants are DNS-1123 labels, which never start with `_`.
 */
import { idFormatOf } from "../../catalog/identity";
import { isInventoryKind } from "../../kinds";
import * as path from "node:path";
import { OtterscaleError } from "../../domain/errors";
import type { ResourceKind } from "../../catalog/catalog";

export const INVENTORY_DIR = "_inventory";
export const EXTENSION = ".yaml";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Inventory kinds (servers, groups: the kind rulebook says which) live under `_inventory`. */
export { isInventoryKind };

/** The two path segments a key maps to: the owner directory and the file stem. */
export function keySegments(kind: ResourceKind, key: string): { readonly owner: string; readonly stem: string } {
  const parts = key.split("/");
  const expected = idFormatOf(kind);
  const ok = parts.length === expected.split("/").length && parts.every((p) => p.length <= 63 && DNS_LABEL.test(p));
  if (!ok) {
    // Also what keeps `..` and absolute paths out of the directory.
    throw new OtterscaleError("invalid_input", `invalid ${kind} id "${key}": expected ${expected} (DNS-1123 labels)`, [
      { path: "id", message: `expected ${expected}` },
    ]);
  }
  return parts.length === 1 ? { owner: INVENTORY_DIR, stem: parts[0] } : { owner: parts[0], stem: parts[1] };
}

/** Absolute path of the file holding `kind`/`key`. */
export function fileOf(root: string, kind: ResourceKind, key: string): string {
  const { owner, stem } = keySegments(kind, key);
  return path.join(root, owner, kind, stem + EXTENSION);
}

/** Key of a file found at `<owner>/<kind>/<stem>.yaml`; undefined for stray files. */
export function keyOf(kind: ResourceKind, owner: string, fileName: string): string | undefined {
  if (!fileName.endsWith(EXTENSION) || fileName.startsWith(".")) return undefined;
  const stem = fileName.slice(0, -EXTENSION.length);
  const key = isInventoryKind(kind) ? (owner === INVENTORY_DIR ? stem : undefined) : owner !== INVENTORY_DIR ? `${owner}/${stem}` : undefined;
  if (key === undefined) return undefined;
  try {
    keySegments(kind, key);
    return key;
  } catch {
    return undefined;
  }
}
