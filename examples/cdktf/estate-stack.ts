/**
 * The example estate as a CDKTF stack: the same estate as examples/terraform/main.tf (and the
 * engine and Pulumi examples): 6 servers in 2 racks and 2 zones, a selector-based group, two tenant
 * quotas, 3 web VMs with anti-affinity and a GPU VM, a 3-replica vCluster, a replicated and an
 * erasure-coded block pool, the two data sources and the same outputs.
 */
import { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { BlockPool, DataGroupCapacity, DataTenantUsage, Estate, OtterscaleProvider, VCluster, VirtualMachine } from "../../sdk/cdktf";

export interface EstateStackProps {
  /**
   * `deletion_protection` of the `db` pool (default true, as in the Terraform example; the
   * `archive` pool is always unprotected). Pass false to let `terraform destroy` remove everything.
   */
  readonly protectDbPool?: boolean;
}

const nodes = [1, 2, 3, 4, 5, 6].map((i) => ({
  name: `node-${i}`,
  rack: i % 2 === 1 ? "r1" : "r2",
  zone: i <= 3 ? "zone-a" : "zone-b",
  gpu: i > 4,
}));

export class EstateStack extends TerraformStack {
  readonly estate: Estate;

  constructor(scope: Construct, id: string, props: EstateStackProps = {}) {
    super(scope, id);
    // Embedded default: SQLite ledger + gitops manifests under $OTTERSCALE_HOME (~/.otterscale).
    new OtterscaleProvider(this, "otterscale");

    const estate = new Estate(this, "prod", {
      servers: nodes.map((n) => ({
        name: n.name,
        hostname: `${n.name}.dc1.example`,
        rack: n.rack,
        zone: n.zone,
        region: "tw-north",
        labels: { pool: n.gpu ? "gpu" : "general" },
        cpuCores: 64,
        memoryGib: 512,
        storageGib: 4000,
        ...(n.gpu ? { gpus: [{ model: "a100", count: 4 }] } : {}),
        cpuAllocationRatio: 2,
        reservedCpuCores: 4,
        reservedMemoryGib: 16,
        maintainers: ["group:sre"],
      })),
      group: { name: "prod", description: "All production nodes", selector: { regions: ["tw-north"] }, placementStrategy: "binpack" },
      quotas: {
        acme: { cpuCores: 128, memoryGib: 1024, storageGib: 8000, gpus: 4, maxVirtualMachines: 20, maintainers: ["user:alice"] },
        globex: { cpuCores: 64, memoryGib: 256, storageGib: 2000 },
      },
    });
    this.estate = estate;
    const acme = estate.tenant("acme");

    const web = [1, 2, 3].map(
      (i) =>
        new VirtualMachine(this, `web-${i}`, {
          ...acme,
          name: `web-${i}`,
          cpuCores: 4,
          memoryGib: 16,
          diskGib: 50,
          image: "quay.io/containerdisks/ubuntu:24.04",
          placement: { antiAffinityGroup: "web", spreadDomain: "server" },
          maintainers: ["user:alice"],
          timeouts: { create: "10m" },
        }),
    );
    const trainer = new VirtualMachine(this, "trainer", {
      ...acme,
      name: "trainer",
      cpuCores: 16,
      memoryGib: 128,
      diskGib: 500,
      gpuModel: "a100",
      gpuCount: 2,
    });
    const dev = new VCluster(this, "dev", {
      ...estate.tenant("globex"),
      name: "dev",
      kubernetesVersion: "v1.31.4",
      controlPlaneReplicas: 3,
      workloadCpuCores: 16,
      workloadMemoryGib: 64,
      workloadStorageGib: 200,
    });
    const db = new BlockPool(this, "db", {
      ...acme,
      name: "db",
      sizeGib: 500,
      replicas: 3,
      failureDomain: "server",
      deviceClass: "ssd",
      ...(props.protectDbPool === false ? { deletionProtection: false } : {}),
    });
    const archive = new BlockPool(this, "archive", {
      ...acme,
      name: "archive",
      sizeGib: 1000,
      erasureCoded: { dataChunks: 2, codingChunks: 1 },
      failureDomain: "server",
      // Example only: lets `terraform destroy` remove it. Production pools keep the default (true).
      deletionProtection: false,
    });

    const acmeWorkloads = [...web, trainer, db, archive];
    const usage = new DataTenantUsage(this, "acme-usage", { ...acme, dependsOn: acmeWorkloads });
    const capacity = new DataGroupCapacity(this, "prod-capacity", { group: estate.group.name, dependsOn: [dev, ...acmeWorkloads] });

    new TerraformOutput(this, "web_servers", { value: web.map((vm) => vm.server) });
    new TerraformOutput(this, "vcluster_servers", { value: dev.servers });
    new TerraformOutput(this, "acme_cpu_used", { value: usage.usedCpuCores });
    new TerraformOutput(this, "prod_free_cpu", { value: capacity.freeCpuCores });
  }
}
