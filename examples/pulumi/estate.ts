/**
 * The example estate as a Pulumi program: the same servers, group, quotas and workloads as
 * examples/engine/estate.ts (and the Terraform and CDKTF examples), using all six kinds.
 *
 * In your own project write `import * as otterscale from "otterscale-iac/pulumi";`. Inside this
 * repository the example imports the SDK by path, so it always runs the code next to it.
 *
 * Dependencies are wired through outputs (a VM's `group` is its quota's `group` output), so
 * Pulumi creates servers, then the group, then quotas, then workloads, and checks each workload
 * against the quota it charges.
 */
import * as pulumi from "@pulumi/pulumi";
import * as otterscale from "../../sdk/pulumi";

export interface Estate {
  readonly servers: otterscale.Server[];
  readonly group: otterscale.BaremetalGroup;
  readonly quotas: { readonly acme: otterscale.TenantQuota; readonly globex: otterscale.TenantQuota };
  readonly vms: otterscale.VirtualMachine[];
  readonly vcluster: otterscale.VCluster;
  readonly pools: otterscale.BlockPool[];
}

/** Declares the estate (call it once per Pulumi program or mocked run). */
export function declareEstate(): Estate {
  const servers = [1, 2, 3, 4, 5, 6].map(
    (i) =>
      new otterscale.Server(`node-${i}`, {
        hostname: `node-${i}.dc1.example`,
        rack: i % 2 === 1 ? "r1" : "r2",
        zone: i <= 3 ? "zone-a" : "zone-b",
        region: "tw-north",
        labels: { pool: i <= 4 ? "general" : "gpu" },
        cpuCores: 64,
        memoryGib: 512,
        storageGib: 4000,
        cpuAllocationRatio: 2,
        reservedCpuCores: 4,
        reservedMemoryGib: 16,
        ...(i > 4 ? { gpus: [{ model: "a100", count: 4 }] } : {}),
        maintainers: ["group:sre"],
      }),
  );

  // Membership is by selector; dependsOn makes sure the servers exist before anything is placed.
  const group = new otterscale.BaremetalGroup(
    "prod",
    { description: "All production nodes", selector: { regions: ["tw-north"] }, placementStrategy: "binpack" },
    { dependsOn: servers },
  );

  const acme = new otterscale.TenantQuota("acme-prod", {
    tenant: "acme",
    group: group.name,
    cpuCores: 128,
    memoryGib: 1024,
    storageGib: 8000,
    gpus: 4,
    maxVirtualMachines: 20,
    maintainers: ["user:alice"],
  });
  const globex = new otterscale.TenantQuota("globex-prod", { tenant: "globex", group: group.name, cpuCores: 64, memoryGib: 256, storageGib: 2000 });

  const web = [1, 2, 3].map(
    (i) =>
      new otterscale.VirtualMachine(`web-${i}`, {
        tenant: acme.tenant,
        group: acme.group,
        cpuCores: 4,
        memoryGib: 16,
        diskGib: 50,
        image: "quay.io/containerdisks/ubuntu:24.04",
        // A secret: kept out of the ledger and the manifests, and a secret output in state.
        userData: pulumi.secret(`#cloud-config\nhostname: web-${i}\n`),
        placement: { antiAffinityGroup: "web", spreadDomain: "server" },
        maintainers: ["user:alice"],
      }),
  );
  const trainer = new otterscale.VirtualMachine("trainer", {
    tenant: acme.tenant,
    group: acme.group,
    cpuCores: 16,
    memoryGib: 128,
    diskGib: 500,
    gpuModel: "a100",
    gpuCount: 2,
  });

  const vcluster = new otterscale.VCluster("dev", {
    tenant: globex.tenant,
    group: globex.group,
    kubernetesVersion: "v1.31.4",
    controlPlaneReplicas: 3,
    workloadCpuCores: 16,
    workloadMemoryGib: 64,
    workloadStorageGib: 200,
  });

  // Block pools keep deletionProtection = true (the default): `pulumi destroy` refuses them until
  // it is set to false and applied.
  const pools = [
    new otterscale.BlockPool("db", { tenant: acme.tenant, group: acme.group, sizeGib: 500, replicas: 3, failureDomain: "server", deviceClass: "ssd" }),
    new otterscale.BlockPool("archive", {
      tenant: acme.tenant,
      group: acme.group,
      sizeGib: 1000,
      erasureCoded: { dataChunks: 2, codingChunks: 1 },
      failureDomain: "server",
    }),
  ];

  return { servers, group, quotas: { acme, globex }, vms: [...web, trainer], vcluster, pools };
}
