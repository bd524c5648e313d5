/**
 * Data-source helpers: read-only views of the ledger, run in the program process. They use the
 * same configuration order as the resources: the options given here, then stack config
 * `otterscale:ledgerUrl` / `otterscale:controllerUrl`, then the environment.
 *
 * Two forms, as Pulumi providers have them: `getTenantUsage` takes plain values and returns a
 * Promise (read now); `getTenantUsageOutput` takes Inputs and returns an Output, read once every
 * resource its inputs come from exists, so it can name objects the same program creates.
 */
import * as pulumi from "@pulumi/pulumi";
import { readDataSource, type ProviderSettings } from "./runtime";
import type {
  DataSourceOptions,
  DataSourceOutputOptions,
  GetGroupCapacityArgs,
  GetGroupCapacityOutputArgs,
  GetTenantUsageArgs,
  GetTenantUsageOutputArgs,
  GroupCapacity,
  GetServersArgs,
  GetWorkloadArgs,
  Servers,
  TenantUsage,
  VClusterLookup,
  VirtualMachineLookup,
} from "./types";

function settingsOf(opts: DataSourceOptions = {}): ProviderSettings {
  const config = new pulumi.Config("otterscale");
  return { ledgerUrl: opts.ledgerUrl ?? config.get("ledgerUrl"), controllerUrl: opts.controllerUrl ?? config.get("controllerUrl") };
}

/**
 * A tenant's quota in a group and what it uses now (`otterscale_tenant_usage`). Limits that are
 * not set (no cap) are undefined. Rejects when the quota does not exist (yet): in a program that
 * creates the quota, use `getTenantUsageOutput`.
 *
 * @example
 * const usage = await otterscale.getTenantUsage({ tenant: "acme", group: "prod" });
 * pulumi.log.info(`acme uses ${usage.usedCpuCores}/${usage.cpuCores ?? "unlimited"} cores`);
 */
export async function getTenantUsage(args: GetTenantUsageArgs, opts?: DataSourceOptions): Promise<TenantUsage> {
  return (await readDataSource("tenant_usage", { ...args }, settingsOf(opts))) as unknown as TenantUsage;
}

/** Capacity, allocation and headroom of a group (`otterscale_group_capacity`). */
export async function getGroupCapacity(args: GetGroupCapacityArgs, opts?: DataSourceOptions): Promise<GroupCapacity> {
  return (await readDataSource("group_capacity", { ...args }, settingsOf(opts))) as unknown as GroupCapacity;
}

/** Servers matching every filter given, sorted by name (`otterscale_servers`). */
export async function getServers(args: GetServersArgs = {}, opts?: DataSourceOptions): Promise<Servers> {
  return (await readDataSource("servers", { ...args }, settingsOf(opts))) as unknown as Servers;
}

/** One VM by tenant and name (`data "otterscale_virtual_machine"`); rejects when it does not exist. */
export async function getVirtualMachine(args: GetWorkloadArgs, opts?: DataSourceOptions): Promise<VirtualMachineLookup> {
  return (await readDataSource("virtual_machine_lookup", { ...args }, settingsOf(opts))) as unknown as VirtualMachineLookup;
}

/** One vCluster by tenant and name (`data "otterscale_vcluster"`); rejects when it does not exist. */
export async function getVCluster(args: GetWorkloadArgs, opts?: DataSourceOptions): Promise<VClusterLookup> {
  return (await readDataSource("vcluster_lookup", { ...args }, settingsOf(opts))) as unknown as VClusterLookup;
}

/**
 * `getTenantUsage` over Inputs, as an Output. It reads once the resources its inputs come from
 * (and `opts.dependsOn`) exist; while one is still to be created (a preview of a new stack) the
 * result is unknown instead of an error.
 *
 * @example
 * const web = new otterscale.VirtualMachine("web-1", { tenant: quota.tenant, group: quota.group, ... });
 * // read after web-1 exists, so its cores are counted
 * export const usage = otterscale.getTenantUsageOutput({ tenant: web.tenant, group: web.group });
 */
export function getTenantUsageOutput(args: GetTenantUsageOutputArgs, opts?: DataSourceOutputOptions): pulumi.Output<TenantUsage> {
  return afterResources(args, opts?.dependsOn).apply((a) => getTenantUsage(a as GetTenantUsageArgs, opts));
}

/** `getGroupCapacity` over Inputs, as an Output (see `getTenantUsageOutput`). */
export function getGroupCapacityOutput(args: GetGroupCapacityOutputArgs, opts?: DataSourceOutputOptions): pulumi.Output<GroupCapacity> {
  return afterResources(args, opts?.dependsOn).apply((a) => getGroupCapacity(a as GetGroupCapacityArgs, opts));
}

/**
 * `args`, resolved once the id of every custom resource they come from, and of each `dependsOn`,
 * is known: an id is unknown exactly while the resource is still to be created (preview), and
 * then the result stays unknown too, as Pulumi's own output-form invokes do.
 */
function afterResources<T extends object>(args: T, dependsOn: pulumi.Resource | readonly pulumi.Resource[] | undefined): pulumi.Output<pulumi.Unwrap<T>> {
  const resources = new Set<pulumi.Resource>([dependsOn ?? []].flat());
  // Serializing collects the resources each Output of `args` comes from (nothing is sent anywhere).
  const gathered = pulumi.runtime.serializeProperty("otterscale-iac data source", args, resources);
  const ids = pulumi.output(gathered).apply(() => pulumi.all([...resources].filter(pulumi.CustomResource.isInstance).map((r) => (r as pulumi.CustomResource).id)));
  return pulumi.all([pulumi.output(args), ids]).apply(([a]) => a) as unknown as pulumi.Output<pulumi.Unwrap<T>>;
}
