/**
 * Hands the objects an otterscale resource rendered to `@pulumi/kubernetes`: quota, placement and
 * the ledger stay ours, the apply (await logic, diffs, server-side apply) is pulumi-kubernetes'.
 * Pair it with `otterscale:controllerUrl = handoff://`, so that only one tool applies the objects.
 *
 * ```ts
 * const vm = new otterscale.VirtualMachine("web-1", { tenant: "acme", group: "prod", cpuCores: 2, memoryGib: 4, diskGib: 20 });
 * otterscale.toKubernetes(vm, { provider: cluster }); // a kubevirt.io/v1 VirtualMachine pinned to vm.server
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";

/** A Kubernetes object as the engine renders it. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

/** Any otterscale resource: each has the computed `manifests` output. */
export interface WithManifests extends pulumi.Resource {
  readonly manifests: pulumi.Output<string[] | undefined>;
}

export interface ToKubernetesOptions {
  /** The Kubernetes provider (cluster) to apply with; default: the ambient default provider. */
  readonly provider?: k8s.Provider;
  /** Options added to every Kubernetes resource (`dependsOn` is extended, never replaced). */
  readonly resourceOptions?: pulumi.CustomResourceOptions;
}

type Constructor = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/**
 * Built-in kinds have typed classes (their type tokens differ from a custom resource's, e.g.
 * `kubernetes:core/v1:ResourceQuota`); everything else is a CRD object and becomes an
 * `apiextensions.CustomResource` (`kubernetes:kubevirt.io/v1:VirtualMachine`).
 */
const BUILT_IN: Readonly<Record<string, (m: typeof k8s) => Constructor>> = {
  "v1/ResourceQuota": (m) => m.core.v1.ResourceQuota as unknown as Constructor,
  "v1/Namespace": (m) => m.core.v1.Namespace as unknown as Constructor,
  "v1/ConfigMap": (m) => m.core.v1.ConfigMap as unknown as Constructor,
  "v1/Secret": (m) => m.core.v1.Secret as unknown as Constructor,
  "storage.k8s.io/v1/StorageClass": (m) => m.storage.v1.StorageClass as unknown as Constructor,
};

/** The rendered objects of `resource`, parsed (an empty list until they are known). */
export function kubernetesObjects(resource: WithManifests): pulumi.Output<KubernetesObject[]> {
  return resource.manifests.apply((docs) => (docs ?? []).map((d) => JSON.parse(d) as KubernetesObject));
}

/**
 * One `@pulumi/kubernetes` resource per object `resource` rendered, parented to it and depending
 * on it. They are registered once `manifests` is known (placement decides the node a VM is pinned
 * to): a preview of a new resource does not list them yet, and a preview of a change to it lists
 * them as deletes (dynamic providers do not preview updates, so `manifests` is unknown there);
 * `pulumi up` updates them in place. A resource that fails its quota check or placement is never
 * created, and neither are its Kubernetes objects.
 *
 * Logical names are `namespace/name` (or `name` for cluster-scoped objects): unique per type, as
 * they are in the cluster.
 */
export function toKubernetes(resource: WithManifests, opts: ToKubernetesOptions = {}): pulumi.Output<pulumi.CustomResource[]> {
  // Loaded on use: programs that never hand objects over do not pay for the Kubernetes SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require("@pulumi/kubernetes") as typeof k8s;
  return kubernetesObjects(resource).apply((objects) =>
    objects.map((obj) => {
      const extra = opts.resourceOptions ?? {};
      const dependsOn = [resource, ...toArray(extra.dependsOn)];
      const options: pulumi.CustomResourceOptions = { ...extra, parent: resource, dependsOn, ...(opts.provider ? { provider: opts.provider } : {}) };
      const typed = BUILT_IN[`${obj.apiVersion}/${obj.kind}`];
      const Ctor = typed ? typed(lib) : (lib.apiextensions.CustomResource as unknown as Constructor);
      return new Ctor(nameOf(obj), obj as unknown as Record<string, unknown>, options);
    }),
  );
}

function nameOf(obj: KubernetesObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

function toArray(d: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (d === undefined) return [];
  return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}
