/**
 * otterscale-iac for Pulumi: `import * as otterscale from "otterscale-iac/pulumi"`.
 *
 * Six dynamic resources (tokens `pulumi-nodejs:dynamic/otterscale:<Type>`) over the same engine,
 * ledger and quotas as the Terraform provider, two data-source helpers (each as a Promise and
 * as an Output form), and `toKubernetes`, which hands a resource's rendered objects to
 * `@pulumi/kubernetes`.
 */
export { Server, BaremetalGroup, TenantQuota, VirtualMachine, VCluster, BlockPool, tokenOf } from "./resources";
export { getTenantUsage, getGroupCapacity, getTenantUsageOutput, getGroupCapacityOutput, getServers, getVirtualMachine, getVCluster } from "./data-sources";
export { toKubernetes, kubernetesObjects, type KubernetesObject, type ToKubernetesOptions, type WithManifests } from "./kubernetes";
export type * from "./types";
export { closeEngines } from "./runtime";
/**
 * @internal What serialized providers load when the path recorded in state no longer exists
 * (state moved to another checkout): `require("otterscale-iac/pulumi").providerRuntime`.
 */
export * as providerRuntime from "./runtime";
