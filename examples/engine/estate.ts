/**
 * Example deployment on the embedded default (SQLite ledger + gitops controller): the same estate
 * the Terraform, Pulumi and CDKTF examples declare, applied through the engine that all of them
 * use. Re-running it is safe (creates are idempotent). `npm run example`.
 *
 * Where things go: $OTTERSCALE_HOME (default ~/.otterscale) holds ledger.db and manifests/.
 */
import { openEngine } from "../../provider/src/api";
import { resolveConfig } from "../../provider/src/engine/config";
import type { ResourceKind } from "../../provider/src/catalog/catalog";

const racks = ["r1", "r2"];
const servers = [1, 2, 3, 4, 5, 6].map((i) => ({
  name: `node-${i}`,
  hostname: `node-${i}.dc1.example`,
  rack: racks[(i - 1) % 2],
  zone: i <= 3 ? "zone-a" : "zone-b",
  region: "tw-north",
  labels: { pool: i <= 4 ? "general" : "gpu" },
  cpu_cores: 64,
  memory_gib: 512,
  storage_gib: 4000,
  cpu_allocation_ratio: 2,
  reserved_cpu_cores: 4,
  reserved_memory_gib: 16,
  ...(i > 4 ? { gpus: [{ model: "a100", count: 4 }] } : {}),
  maintainers: ["group:sre"],
}));

const estate: [ResourceKind, Record<string, unknown>][] = [
  ...servers.map((s): [ResourceKind, Record<string, unknown>] => ["server", s]),
  ["baremetal_group", { name: "prod", description: "All production nodes", selector: { regions: ["tw-north"] }, placement_strategy: "binpack" }],
  ["tenant_quota", { tenant: "acme", group: "prod", cpu_cores: 128, memory_gib: 1024, storage_gib: 8000, gpus: 4, max_virtual_machines: 20, maintainers: ["user:alice"] }],
  ["tenant_quota", { tenant: "globex", group: "prod", cpu_cores: 64, memory_gib: 256, storage_gib: 2000 }],
  ...[1, 2, 3].map((i): [ResourceKind, Record<string, unknown>] => [
    "virtual_machine",
    {
      name: `web-${i}`,
      tenant: "acme",
      group: "prod",
      cpu_cores: 4,
      memory_gib: 16,
      disk_gib: 50,
      image: "quay.io/containerdisks/ubuntu:24.04",
      placement: { anti_affinity_group: "web", spread_domain: "server" },
      maintainers: ["user:alice"],
    },
  ]),
  ["virtual_machine", { name: "trainer", tenant: "acme", group: "prod", cpu_cores: 16, memory_gib: 128, disk_gib: 500, gpu_model: "a100", gpu_count: 2 }],
  ["vcluster", { name: "dev", tenant: "globex", group: "prod", kubernetes_version: "v1.31.4", control_plane_replicas: 3, workload_cpu_cores: 16, workload_memory_gib: 64, workload_storage_gib: 200 }],
  ["block_pool", { name: "db", tenant: "acme", group: "prod", size_gib: 500, replicas: 3, failure_domain: "server", device_class: "ssd" }],
  ["block_pool", { name: "archive", tenant: "acme", group: "prod", size_gib: 1000, erasure_coded: { data_chunks: 2, coding_chunks: 1 }, failure_domain: "server" }],
];

async function main() {
  const config = resolveConfig();
  const engine = await openEngine();
  console.log(`ledger:      ${config.ledgerUrl}`);
  console.log(`controllers: ${config.controllerUrl}\n`);
  try {
    const plan = await engine.plan(estate.map(([kind, args]) => ({ action: "create", kind, args, address: `${kind}.${args.name ?? `${args.tenant}/${args.group}`}` })));
    for (const d of plan.diagnostics) console.log(`plan ${d.severity}: ${d.address ?? ""} ${d.detail}`);
    for (const [kind, args] of estate) {
      const s = await engine.create(kind, args);
      const where = s.server ?? (Array.isArray(s.servers) ? (s.servers as string[]).join(",") : "");
      console.log(`${kind.padEnd(16)} ${String(s.id).padEnd(14)} ${String(s.status ?? "").padEnd(9)} ${where}`);
    }
    for (const t of ["acme", "globex"]) {
      const u = await engine.read("tenant_quota", `${t}/prod`);
      console.log(`\nquota ${t}/prod: cpu ${u!.used_cpu_cores}/${u!.cpu_cores}  memory ${u!.used_memory_gib}/${u!.memory_gib} GiB  storage ${u!.used_storage_gib}/${u!.storage_gib} GiB  gpus ${u!.used_gpus}/${u!.gpus}`);
    }
    const cap = await engine.readDataSource("group_capacity", { group: "prod" });
    console.log(`group prod: ${(cap.member_servers as string[]).length} servers, free cpu ${cap.free_cpu_cores}, free memory ${cap.free_memory_gib} GiB, free storage ${cap.free_storage_gib} GiB`);
    console.log(`\nmanifests written under ${config.controllerUrl.replace("gitops://", "")}`);
  } finally {
    await engine.close();
  }
}

main().catch((e: unknown) => {
  console.error(`example failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
