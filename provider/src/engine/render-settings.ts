/** Provider settings that shape manifests (not the ledger). */
import type { GpuDevices } from "../domain/gpu-devices";

export interface RenderSettings {
  /** Provider `gpu_devices`: model -> the cluster's device name. */
  readonly gpuDevices?: GpuDevices;
  /** Provider `vcluster_chart_version`: the chart version of vClusters without `chart_version`. */
  readonly vclusterChartVersion?: string;
}
