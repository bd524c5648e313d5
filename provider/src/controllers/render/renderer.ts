/**
 * The renderer contract: one pure module per kind turns a DesiredObject into a Kubernetes
 * manifest and reads the carried attributes back. Rendering knows nothing about where the
 * manifest goes (files now, an API server later).
 */
import { schemaOf, type ResourceKind } from "../../catalog/catalog";
import type { DesiredObject } from "../types";
import type { Manifest, Parsed } from "./manifest";
import type { KubeBinding } from "./kube-binding";

export interface Renderer {
  readonly kind: ResourceKind;
  readonly apiVersion: string;
  readonly manifestKind: string;
  /** The manifest for `obj`. Pure: same input, same output. Never contains secrets. */
  render(obj: DesiredObject): Manifest;
  /**
   * Further objects that belong to `obj` and live and die with it (an erasure-coded pool's
   * metadata pool and StorageClass), in apply order. Absent or empty for most kinds. The main
   * manifest stays the object's identity (name, listing, parse).
   */
  attached?(obj: DesiredObject): Manifest[];
  /** Reads identity, status and the carried attributes back from a manifest. */
  parse(manifest: Manifest): Parsed;
  /**
   * The subset of a spec that the manifest carries, normalised as `parse` returns it (schema
   * defaults applied). `parse(render(x)).fields` equals `carried(x.spec)`.
   *
   * Only top-level attributes whose WHOLE value the manifest holds are carried: consumers compare
   * and replace field by field, so a partial value (`bmc` without its credentials, `placement`
   * of which only the anti-affinity label is written) would read as drift on every refresh.
   */
  carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /**
   * Where the object's own credentials live, for kinds whose operator writes them to a Secret (a
   * vCluster's kubeconfig). Adapters that can read Secrets read it there; nothing stores it.
   */
  credentialsSecret?(key: string): SecretKeyRef;
  /** Sensitive attributes the manifest holds only as a digest (compared by digest for drift). */
  readonly digested?: readonly string[];
  /** Where and how the manifest lives on a Kubernetes API server (kube-binding.ts). */
  readonly kube: KubeBinding;
}

/** One key of a Secret. */
export interface SecretKeyRef {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/**
 * `spec` with the schema's top-level defaults filled in. The engine already applies them through
 * ajv; doing it again here keeps renderers correct for callers that did not (and keeps the
 * defaults in one place: schema/).
 */
export function withDefaults<T>(kind: ResourceKind, spec: Readonly<Record<string, unknown>>): T {
  const out: Record<string, unknown> = { ...spec };
  for (const [k, p] of Object.entries(schemaOf(kind).properties ?? {})) {
    if (out[k] === undefined && p.default !== undefined && !p.readOnly) out[k] = structuredClone(p.default);
  }
  return out as T;
}
