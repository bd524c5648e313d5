/**
 * Pulumi argument and output types of the six resources and two data sources, derived from the
 * generated snake_case types (`provider/src/catalog/types.gen.ts`, itself generated from schema/):
 * names become camelCase, every value may be a `pulumi.Input`, and `name` may be omitted (it then
 * defaults to the resource's logical name). Nothing here is a hand-written second copy.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as gen from "../../provider/src/catalog/types.gen";
import type { Camelize } from "./names";

type Primitive = string | number | boolean | null;

/** `T` where every value, at any depth, may be a `pulumi.Input` (an Output, a Promise or plain). */
export type DeepInput<T> = undefined extends T ? DeepInputDefined<Exclude<T, undefined>> | undefined : DeepInputDefined<T>;
type DeepInputDefined<T> = [T] extends [Primitive]
  ? pulumi.Input<T>
  : [T] extends [readonly (infer U)[]]
    ? pulumi.Input<DeepInput<U>[]>
    : pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>;

/** camelCase inputs of a generated snake_case argument type. */
export type ArgsOf<A> = { [K in keyof Camelize<A>]: DeepInput<Camelize<A>[K]> };

/** Every attribute of a generated state type as a resource output (`id` is the resource's own). */
export type OutputsOf<S> = { readonly [K in keyof Omit<Camelize<S>, "id">]-?: pulumi.Output<Omit<Camelize<S>, "id">[K]> };

type OptionalName<T> = Omit<T, "name"> & {
  /** Name on the platform (DNS-1123 label). Defaults to the resource's logical name, without a random suffix. */
  name?: pulumi.Input<string>;
};

/** The `pulumi import` workaround available on every resource (see the README). */
export interface AdoptArg {
  /**
   * When an object with the same identity already exists in the ledger with a DIFFERENT
   * configuration, take it over instead of failing with `already_exists`: the first `pulumi up`
   * adopts it and updates it in place to this configuration (attributes that force replacement
   * must already match). An existing object with the same configuration is always adopted, with
   * or without this flag. Not sent to the engine; changing it never causes a diff.
   */
  adopt?: pulumi.Input<boolean>;
}

export interface ServerArgs extends OptionalName<ArgsOf<gen.ServerArgs>>, AdoptArg {}
export interface BaremetalGroupArgs extends OptionalName<ArgsOf<gen.BaremetalGroupArgs>>, AdoptArg {}
export interface TenantQuotaArgs extends ArgsOf<gen.TenantQuotaArgs>, AdoptArg {}
export interface VirtualMachineArgs extends OptionalName<ArgsOf<gen.VirtualMachineArgs>>, AdoptArg {}
export interface VClusterArgs extends OptionalName<ArgsOf<gen.VclusterArgs>>, AdoptArg {}
export interface BlockPoolArgs extends OptionalName<ArgsOf<gen.BlockPoolArgs>>, AdoptArg {}

export type ServerOutputs = OutputsOf<gen.ServerState>;
export type BaremetalGroupOutputs = OutputsOf<gen.BaremetalGroupState>;
export type TenantQuotaOutputs = OutputsOf<gen.TenantQuotaState>;
export type VirtualMachineOutputs = OutputsOf<gen.VirtualMachineState>;
export type VClusterOutputs = OutputsOf<gen.VclusterState>;
export type BlockPoolOutputs = OutputsOf<gen.BlockPoolState>;

/** Plain (resolved) attribute objects, camelCase. */
export type ServerState = Camelize<gen.ServerState>;
export type BaremetalGroupState = Camelize<gen.BaremetalGroupState>;
export type TenantQuotaState = Camelize<gen.TenantQuotaState>;
export type VirtualMachineState = Camelize<gen.VirtualMachineState>;
export type VClusterState = Camelize<gen.VclusterState>;
export type BlockPoolState = Camelize<gen.BlockPoolState>;

/** Result of `getTenantUsage`: the quota's limits (undefined = no cap) and `used*` figures. */
export type TenantUsage = Camelize<gen.TenantUsageState>;
/** Result of `getGroupCapacity`: members, `total*`, `allocated*` and `free*`. */
export type GroupCapacity = Camelize<gen.GroupCapacityState>;

/** Result of `getServers`: the matching servers' names and capacity/allocation/headroom. */
export type Servers = Camelize<gen.ServersState>;
/** Result of `getVirtualMachine`: one VM as the ledger records it (no sensitive attribute). */
export type VirtualMachineLookup = Camelize<gen.VirtualMachineLookupState>;
/** Result of `getVCluster`: one vCluster as the ledger records it (no kubeconfig). */
export type VClusterLookup = Camelize<gen.VclusterLookupState>;

/** Filters of `getServers` (all optional; every one given must match). */
export interface GetServersArgs {
  readonly group?: string;
  readonly labels?: Record<string, string>;
  readonly racks?: string[];
  readonly zones?: string[];
  readonly maintenance?: boolean;
  readonly minFreeCpuCores?: number;
  readonly minFreeMemoryGib?: number;
  readonly minFreeStorageGib?: number;
  readonly minFreeGpus?: number;
}

/** One workload by tenant and name (`getVirtualMachine`, `getVCluster`). */
export interface GetWorkloadArgs {
  readonly tenant: string;
  readonly name: string;
}

export interface GetTenantUsageArgs {
  readonly tenant: string;
  readonly group: string;
}

export interface GetGroupCapacityArgs {
  readonly group: string;
}

/** Inputs of `getTenantUsageOutput`: plain values, Promises or Outputs (of the quota, say). */
export interface GetTenantUsageOutputArgs {
  readonly tenant: pulumi.Input<string>;
  readonly group: pulumi.Input<string>;
}

export interface GetGroupCapacityOutputArgs {
  readonly group: pulumi.Input<string>;
}

/** Where data-source helpers read; defaults to stack config `otterscale:*`, then the environment. */
export interface DataSourceOptions {
  readonly ledgerUrl?: string;
  readonly controllerUrl?: string;
}

/** Options of the Output forms: also read only after these resources exist. */
export interface DataSourceOutputOptions extends DataSourceOptions {
  readonly dependsOn?: pulumi.Resource | readonly pulumi.Resource[];
}
