/**
 * Pulumi program entry (Pulumi.yaml `main` points at its compiled form). Applies with the
 * ambient Kubernetes provider (your current kubeconfig context); pass a `k8s.Provider` to
 * `declareHandoff` to choose another cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { declareHandoff } from "./handoff";

const estate = declareHandoff();

/** VM name -> the node its KubeVirt object is pinned to. */
export const vmPlacements = pulumi.all(estate.vms.map((vm) => pulumi.all([vm.name, vm.server]))).apply((pairs) => Object.fromEntries(pairs));
/** The objects handed to pulumi-kubernetes (URNs). */
export const kubernetesUrns = pulumi.all(estate.kubernetes).apply((lists) => pulumi.all(lists.flat().map((r) => r.urn)));
