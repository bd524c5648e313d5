/**
 * Data-source helpers: read-only views of the ledger, run in the program process. They use the
 * same engine cache and configuration order as the resources: the options given here, then stack
 * config `otterscale:ledgerUrl` / `otterscale:controllerUrl`, then the environment.
 */
import * as pulumi from "@pulumi/pulumi";
import { readDataSource, type ProviderSettings } from "./runtime";
import type { DataSourceOptions, GetGroupCapacityArgs, GetTenantUsageArgs, GroupCapacity, TenantUsage } from "./types";

function settingsOf(opts: DataSourceOptions = {}): ProviderSettings {
  const config = new pulumi.Config("otterscale");
  return { ledgerUrl: opts.ledgerUrl ?? config.get("ledgerUrl"), controllerUrl: opts.controllerUrl ?? config.get("controllerUrl") };
}

/**
 * A tenant's quota in a group and what it uses now (`otterscale_tenant_usage`). Limits that are
 * not set (no cap) are undefined.
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
