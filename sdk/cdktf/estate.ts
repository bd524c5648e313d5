/**
 * `Estate`: servers, one baremetal group and its tenant quotas from a compact description, wired
 * the way they must be (built on the generated constructs; nothing here decides quota or placement).
 *
 * ```ts
 * const estate = new Estate(stack, "prod", {
 *   servers: [1, 2, 3].map((i) => ({ name: `node-${i}`, cpuCores: 64, memoryGib: 512, storageGib: 4000, region: "tw-north" })),
 *   group: { name: "prod", selector: { regions: ["tw-north"] } },
 *   quotas: { acme: { cpuCores: 128, memoryGib: 1024 } },
 * });
 * new VirtualMachine(stack, "web-1", { ...estate.tenant("acme"), name: "web-1", cpuCores: 4, memoryGib: 16, diskGib: 50 });
 * ```
 */
import { Construct } from "constructs";
import type { TerraformProvider } from "cdktf";
import type { BaremetalGroupArgs } from "../../provider/src/catalog/types.gen";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { Server, type ServerConfig } from "./generated/server";
import { BaremetalGroup, type BaremetalGroupConfig } from "./generated/baremetal-group";
import { TenantQuota, type TenantQuotaConfig } from "./generated/tenant-quota";

/** The group, with `placementStrategy` narrowed to the values the schema allows. */
export interface EstateGroup extends Omit<BaremetalGroupConfig, "placementStrategy" | "provider"> {
  readonly placementStrategy?: BaremetalGroupArgs["placement_strategy"];
}

/** A tenant's caps in the estate's group (tenant and group come from the estate). */
export type EstateQuota = Omit<TenantQuotaConfig, "tenant" | "group" | "provider">;

/** Spread into a workload's config: `{ ...estate.tenant("acme"), name: "web-1", ... }`. */
export interface TenantPlacement {
  /** `${otterscale_tenant_quota.<x>.tenant}`: the workload waits for its quota. */
  readonly tenant: string;
  /** `${otterscale_tenant_quota.<x>.group}`. */
  readonly group: string;
}

export interface EstateProps {
  /** Every server, complete (spread a shared object for common fields). Names must be unique. */
  readonly servers: readonly Omit<ServerConfig, "provider">[];
  readonly group: EstateGroup;
  /** Tenant name -> its quota in the group. */
  readonly quotas?: Readonly<Record<string, EstateQuota>>;
  /** Provider for every resource of the estate (default: the stack's default provider). */
  readonly provider?: TerraformProvider;
}

/**
 * Creates one `Server` per entry (construct id `server-<name>`), the `BaremetalGroup` (id `group`)
 * depending on all of them (a selector matches servers by attribute, so without the dependency
 * Terraform could create the group before the servers it should contain), and one `TenantQuota`
 * per tenant (id `quota-<tenant>`) referencing the group by attribute.
 */
export class Estate extends Construct {
  /** Server name -> construct. */
  readonly servers: Readonly<Record<string, Server>>;
  readonly group: BaremetalGroup;
  /** Tenant -> construct. */
  readonly quotas: Readonly<Record<string, TenantQuota>>;

  constructor(scope: Construct, id: string, props: EstateProps) {
    super(scope, id);
    const provider = props.provider ? { provider: props.provider } : {};
    const servers: Record<string, Server> = {};
    for (const s of props.servers) {
      if (servers[s.name]) throw new OtterscaleError("invalid_input", `Estate ${id}: server ${s.name} is listed twice`);
      servers[s.name] = new Server(this, `server-${s.name}`, { ...s, ...provider });
    }
    this.servers = servers;
    this.group = new BaremetalGroup(this, "group", {
      ...props.group,
      ...provider,
      dependsOn: [...(props.group.dependsOn ?? []), ...Object.values(servers)],
    });
    const quotas: Record<string, TenantQuota> = {};
    for (const [tenant, caps] of Object.entries(props.quotas ?? {})) {
      quotas[tenant] = new TenantQuota(this, `quota-${tenant}`, { ...caps, ...provider, tenant, group: this.group.name });
    }
    this.quotas = quotas;
  }

  /** Tenant and group of a tenant's quota, as references (so workloads depend on the quota). */
  tenant(name: string): TenantPlacement {
    const q = this.quotas[name];
    if (!q) {
      const known = Object.keys(this.quotas).join(", ") || "none";
      throw new OtterscaleError("not_found", `Estate ${this.node.id}: no quota for tenant ${name} (quotas: ${known}); add it to quotas`);
    }
    return { tenant: q.tenant, group: q.group };
  }
}
