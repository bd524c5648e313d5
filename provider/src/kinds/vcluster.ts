/**
 * otterscale_vcluster: a virtual Kubernetes cluster; its control plane replicas are placed on
 * distinct servers, its workload quota is charged to the tenant. State: servers, status,
 * endpoint, kubeconfig (from the backend). Rendered with the provider's default chart version.
 */
import { vclusterShape } from "../domain/shape";
import type { VclusterArgs } from "../catalog/types.gen";
import type { WorkloadRules } from "./types";

export const vcluster: WorkloadRules = {
  kind: "vcluster",
  class: "workload",
  tier: 3,
  noun: "vcluster",
  groupAttribute: "group",
  quotaPaths: { vclusters: "name" },
  shape: (spec) => vclusterShape(spec as unknown as VclusterArgs),
  project: ({ rec, observed, base, status }) => ({
    ...base,
    servers: rec.computed.servers ?? [],
    status,
    endpoint: observed?.endpoint ?? rec.computed.endpoint ?? null,
    kubeconfig: observed?.kubeconfig ?? null,
  }),
  renderExtras: (_spec, _inv, settings) => (settings.vclusterChartVersion ? { vcluster_chart_version: settings.vclusterChartVersion } : undefined),
};
