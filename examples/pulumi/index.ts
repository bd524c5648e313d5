/**
 * Pulumi program entry (Pulumi.yaml `main` points at its compiled form): declares the example
 * estate and exports where things landed and what each tenant uses.
 */
import * as pulumi from "@pulumi/pulumi";
import * as otterscale from "../../sdk/pulumi";
import { declareEstate } from "./estate";

const estate = declareEstate();

/** VM name -> server it was placed on. */
export const vmPlacements = pulumi.all(estate.vms.map((vm) => pulumi.all([vm.name, vm.server]))).apply((pairs) => Object.fromEntries(pairs));
/** Servers holding the vCluster's control plane and each pool's replicas. */
export const vclusterServers = estate.vcluster.servers;
export const poolServers = pulumi.all(estate.pools.map((p) => pulumi.all([p.name, p.servers]))).apply((pairs) => Object.fromEntries(pairs));
/** The vCluster's kubeconfig (a secret output). */
export const kubeconfig = estate.vcluster.kubeconfig;
/** What acme uses in prod, read once every acme workload exists (unknown in the preview of a new stack). */
export const acmeUsage = otterscale.getTenantUsageOutput({ tenant: "acme", group: "prod" }, { dependsOn: [...estate.vms, ...estate.pools] });
