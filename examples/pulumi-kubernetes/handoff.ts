/**
 * otterscale decides, pulumi-kubernetes applies. The stack runs with
 * `otterscale:controllerUrl = handoff://`: every resource is checked against its tenant's quota,
 * placed and recorded in the ledger as usual, but otterscale applies nothing; `toKubernetes`
 * turns the objects it rendered into `@pulumi/kubernetes` resources, parented to the otterscale
 * resource and created after it. A VM that does not fit fails, and none of its objects is created.
 *
 * In your own project write `import * as otterscale from "otterscale-iac/pulumi";`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import * as otterscale from "../../sdk/pulumi";

export interface HandoffEstate {
  readonly servers: otterscale.Server[];
  readonly group: otterscale.BaremetalGroup;
  readonly quota: otterscale.TenantQuota;
  readonly vms: otterscale.VirtualMachine[];
  /** The Kubernetes resources of the quota and of each VM, in that order. */
  readonly kubernetes: pulumi.Output<pulumi.CustomResource[]>[];
}

/** Declares two nodes, a group, acme's quota and two VMs, and hands their objects to `cluster`. */
export function declareHandoff(cluster?: k8s.Provider): HandoffEstate {
  const servers = [1, 2].map(
    (i) =>
      new otterscale.Server(`node-${i}`, {
        hostname: `node-${i}.dc1.example`,
        rack: `r${i}`,
        cpuCores: 32,
        memoryGib: 256,
        storageGib: 2000,
      }),
  );
  const group = new otterscale.BaremetalGroup("prod", { servers: servers.map((s) => s.name), placementStrategy: "spread" }, { dependsOn: servers });
  const quota = new otterscale.TenantQuota("acme-prod", { tenant: "acme", group: group.name, cpuCores: 16, memoryGib: 64, storageGib: 500, maxVirtualMachines: 4 });
  const vms = ["web-1", "web-2"].map(
    (name) =>
      new otterscale.VirtualMachine(name, {
        tenant: "acme",
        group: quota.group,
        cpuCores: 4,
        memoryGib: 8,
        diskGib: 50,
        image: "quay.io/containerdisks/ubuntu:24.04",
        placement: { antiAffinityGroup: "web" },
      }),
  );
  const kubernetes = [quota, ...vms].map((r) => otterscale.toKubernetes(r, { provider: cluster }));
  return { servers, group, quota, vms, kubernetes };
}
