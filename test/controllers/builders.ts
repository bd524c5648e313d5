/**
 * Fixture builders for controller tests: valid specs (defaults applied by the real validator, as
 * the engine does) wrapped in DesiredObjects with a plausible placement.
 */
import type { DesiredObject, PlacedServer } from "../../provider/src/controllers/types";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { validateInput } from "../../provider/src/catalog/validate";

type Attrs = Record<string, unknown>;

export const USER_DATA = "#cloud-config\nchpasswd:\n  list: root:Tr0ub4dor&3-user-data-secret\n";
export const BMC_PASSWORD = "Hunter2-bmc-password-secret";
export const BMC_USERNAME = "bmc-admin-username";

export function placed(name: string, extra: Partial<PlacedServer> = {}): PlacedServer {
  return { name, hostname: `${name}.dc1.example`, nodeName: name, ...extra };
}

function desired(kind: ResourceKind, key: string, input: Attrs, placement: readonly PlacedServer[], extras?: Attrs): DesiredObject {
  return { kind, key, spec: validateInput<Attrs>(kind, input), placement, ...(extras ? { extras } : {}) };
}

export function vm(over: Attrs = {}, placement: readonly PlacedServer[] = [placed("node-a", { rack: "r1" })]): DesiredObject {
  const input = { name: "web-1", tenant: "acme", group: "gpu-pool", cpu_cores: 4, memory_gib: 8, disk_gib: 40, ...over };
  return desired("virtual_machine", `${input.tenant}/${input.name}`, input, placement);
}

export function blockPool(over: Attrs = {}, placement: readonly PlacedServer[] = [placed("node-a"), placed("node-b"), placed("node-c")]): DesiredObject {
  const input = { name: "data", tenant: "acme", group: "storage", size_gib: 500, ...over };
  return desired("block_pool", `${input.tenant}/${input.name}`, input, placement);
}

export function vcluster(over: Attrs = {}, placement: readonly PlacedServer[] = [placed("node-a")]): DesiredObject {
  const input = { name: "dev", tenant: "acme", group: "general", ...over };
  return desired("vcluster", `${input.tenant}/${input.name}`, input, placement);
}

export function tenantQuota(over: Attrs = {}): DesiredObject {
  const input = { tenant: "acme", group: "general", ...over };
  return desired("tenant_quota", `${input.tenant}/${input.group}`, input, []);
}

export function server(over: Attrs = {}): DesiredObject {
  const input = { name: "node-a", cpu_cores: 64, memory_gib: 512, storage_gib: 8000, ...over };
  return desired("server", String(input.name), input, []);
}

export function group(over: Attrs = {}, members: string[] = ["node-a", "node-b"]): DesiredObject {
  const input = { name: "general", ...over };
  return desired("baremetal_group", String(input.name), input, [], { member_servers: members });
}

/** A fully loaded example of every kind, with every secret set. */
export function oneOfEach(): DesiredObject[] {
  return [
    server({
      hostname: "node-a.dc1.example",
      rack: "r1",
      zone: "az1",
      region: "tw",
      datacenter: "tpe1",
      labels: { pool: "gpu" },
      gpus: [{ model: "a100", count: 4 }],
      bmc: { address: "10.0.0.11", power_type: "redfish", username: BMC_USERNAME, password: BMC_PASSWORD },
      maintainers: ["group:sre"],
    }),
    group({ description: "GPU nodes", servers: ["node-a"], selector: { labels: { pool: "gpu" }, racks: ["r1"] }, placement_strategy: "spread" }),
    tenantQuota({ cpu_cores: 64, memory_gib: 256, storage_gib: 2000, gpus: 4, max_virtual_machines: 20, max_vclusters: 2, max_block_pools: 3 }),
    vm({ image: "quay.io/containerdisks/ubuntu:24.04", user_data: USER_DATA, gpu_model: "a100", gpu_count: 2, maintainers: ["user:alice"] }),
    vcluster({ kubernetes_version: "v1.30.2", control_plane_replicas: 1, workload_cpu_cores: 8, workload_memory_gib: 32, workload_storage_gib: 200 }),
    blockPool({ device_class: "nvme" }),
  ];
}
