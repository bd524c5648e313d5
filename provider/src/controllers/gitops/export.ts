/**
 * Writes handed-off objects (the `manifests` attribute of resources, grouped by kind and id) into
 * a directory in exactly the gitops controller's layout and bytes, so a repository a GitOps
 * agent (Flux, Argo CD) watches looks the same whether otterscale wrote it or the user exported
 * it from `terraform output`. Paths come from paths.ts and text from manifestToYaml: nothing here
 * is a second copy of either.
 */
import { OtterscaleError } from "../../domain/errors";
import { RESOURCE_KINDS, type ResourceKind } from "../../catalog/catalog";
import type { Manifest } from "../render";
import { GitopsKindController, manifestToYaml } from "./controller";
import { writeFileAtomic } from "./files";
import { fileOf } from "./paths";

/** `{ "<kind>": { "<id>": ["<json>", ...] } }`: what the Terraform example's output holds. */
export type ManifestsByKind = Readonly<Partial<Record<ResourceKind, Readonly<Record<string, readonly string[]>>>>>;

export interface ExportedFile {
  readonly kind: ResourceKind;
  readonly key: string;
  readonly file: string;
  readonly text: string;
}

const invalid = (path: string, message: string) => new OtterscaleError("invalid_input", `${path}: ${message}`, [{ path, message }]);

/** Parses and checks the whole input before anything is written (bad input writes nothing). */
export function exportPlan(root: string, input: unknown): ExportedFile[] {
  if (!input || typeof input !== "object" || Array.isArray(input)) throw invalid("(input)", "expected an object { <kind>: { <id>: [<manifest JSON>, ...] } }");
  const out: ExportedFile[] = [];
  for (const [kind, byId] of Object.entries(input as Record<string, unknown>)) {
    if (!RESOURCE_KINDS.includes(kind as ResourceKind)) throw invalid(kind, `not a resource kind; expected one of ${RESOURCE_KINDS.join(", ")}`);
    if (byId === null) continue; // a kind the configuration does not use (`null` in terraform output)
    if (typeof byId !== "object" || Array.isArray(byId)) throw invalid(kind, "expected an object { <id>: [<manifest JSON>, ...] }");
    for (const [key, docs] of Object.entries(byId as Record<string, unknown>)) {
      const where = `${kind}.${key}`;
      if (!Array.isArray(docs) || docs.length === 0 || !docs.every((d) => typeof d === "string")) throw invalid(where, "expected a non-empty list of manifest JSON strings (the resource's `manifests`)");
      const manifests = docs.map((d, i) => parseManifest(`${where}[${i}]`, d as string));
      // One file per object, as the gitops controller writes it (fileOf also rejects a bad id).
      out.push({ kind: kind as ResourceKind, key, file: fileOf(root, kind as ResourceKind, key), text: manifestToYaml(manifests[0], manifests.slice(1)) });
    }
  }
  return out;
}

function parseManifest(where: string, doc: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(doc);
  } catch {
    throw invalid(where, "not JSON");
  }
  const o = m as Partial<Manifest> | null;
  if (!o || typeof o !== "object" || typeof o.apiVersion !== "string" || typeof o.kind !== "string" || typeof o.metadata?.name !== "string") {
    throw invalid(where, "not a Kubernetes object (apiVersion, kind and metadata.name are required)");
  }
  return o as Manifest;
}

/**
 * Writes the files (atomically, one by one). With `prune`, removes the files of the layout that
 * the input no longer holds (objects destroyed since the last export); without it, files of
 * other workspaces sharing the directory stay.
 */
export async function exportManifests(root: string, input: unknown, opts: { prune?: boolean } = {}): Promise<{ written: ExportedFile[]; removed: string[] }> {
  const files = exportPlan(root, input);
  for (const f of files) await writeFileAtomic(f.file, f.text);
  const removed: string[] = [];
  if (opts.prune) {
    const keep = new Set(files.map((f) => `${f.kind}\u0000${f.key}`));
    for (const kind of RESOURCE_KINDS) {
      const c = new GitopsKindController(root, kind);
      for (const key of await c.list()) {
        if (keep.has(`${kind}\u0000${key}`)) continue;
        await c.delete(key);
        removed.push(fileOf(root, kind, key));
      }
    }
  }
  return { written: files, removed };
}
