/**
 * How a renderer's manifest binds to a Kubernetes API server: the namespace and name its main
 * object takes, the companion Secrets and attached objects a key-only read or delete must find,
 * and how the operator reports readiness. Each renderer declares its own (renderer.ts `kube`);
 * the Kubernetes adapter (controllers/kubernetes/) asks it and never branches on a kind's name.
 * Pure: no API calls here.
 */
import { at } from "./manifest";

/** Enough to address one object through the API. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/** A Secret the adapter keeps next to a manifest; `data` undefined = it must not exist. */
export interface Companion {
  readonly ref: ObjectRef;
  /** stringData; sensitive. */
  readonly data?: Readonly<Record<string, string>>;
}

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly detail: string };

export const READY: Readiness = { ready: true };

/** The two parts of a key (gitops/paths.ts keySegments): the owner (tenant, or the inventory) and the stem. */
export interface KeyParts {
  readonly owner: string;
  readonly stem: string;
}

export interface KubeBinding {
  /**
   * The one namespace every object of the kind lives in (the inventory's, Rook's); absent = the
   * owning tenant's namespace. Listing finds the kind's objects only there.
   */
  readonly namespace?: string;
  /** The main object's name for a key (default: the stem). */
  objectName?(key: KeyParts): string;
  /** Secrets the manifest references, with their data from the spec (undefined data: remove it). */
  companions?(spec: Readonly<Record<string, unknown>>): Companion[];
  /** The same Secrets from the key alone, for deletes. */
  companionRefs?(key: KeyParts): ObjectRef[];
  /** Objects attached to the main one (Renderer.attached), from the key alone, for reads and deletes. */
  attachedRefs?(key: KeyParts): ObjectRef[];
  /** Whether the live object is ready (default: present is ready). */
  readiness?(live: unknown): Readiness;
  /** The `status` attribute from the live object (default: the renderer's own, from the spec). */
  status?(live: unknown, fallback: string): string;
}

export function secretRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace } };
}

/** True when the object's status is about its current spec (or the operator does not say). */
export function caughtUp(live: unknown, observed: unknown): boolean {
  const generation = at(live, "metadata", "generation");
  return typeof observed !== "number" || typeof generation !== "number" || observed >= generation;
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export function condition(live: unknown, type: string): Condition | undefined {
  const list = at(live, "status", "conditions");
  return Array.isArray(list) ? (list as Condition[]).find((c) => c?.type === type) : undefined;
}
