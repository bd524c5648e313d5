/** Resolves where the ledger and the controllers live: explicit config, then env, then $OTTERSCALE_HOME. */
import * as os from "node:os";
import * as path from "node:path";
import { OtterscaleError } from "../domain/errors";
import type { EngineConfig } from "./contract";
import { defaultLedgerUrl } from "../ledger/open";
import { checkGpuDevices, parseGpuDevicesEnv, type GpuDevices } from "../domain/gpu-devices";
import { DEFAULT_VCLUSTER_CHART_VERSION, VCLUSTER_CHART_VERSIONS } from "../controllers/render/vcluster-chart";

export interface ResolvedConfig {
  readonly home: string;
  readonly ledgerUrl: string;
  readonly controllerUrl: string;
  readonly leaseMs: number;
  /** Configured GPU device names (empty: every model gets its default name). */
  readonly gpuDevices: GpuDevices;
  /** The vcluster chart version for vClusters without `chart_version`. */
  readonly vclusterChartVersion: string;
}

/** The provider's `vcluster_chart_version` (or its env var), checked against the supported list. */
function vclusterChartVersion(v: string | undefined): string {
  if (v === undefined || v === "") return DEFAULT_VCLUSTER_CHART_VERSION;
  if (!VCLUSTER_CHART_VERSIONS.includes(v)) {
    const message = `vcluster_chart_version "${v}" is not supported; use one of: ${VCLUSTER_CHART_VERSIONS.join(", ")}`;
    throw new OtterscaleError("config", message, [{ path: "vcluster_chart_version", message }]);
  }
  return v;
}

/** Short, because it is renewed every third of it while work runs: a crashed run's rows free up within a minute. */
export const DEFAULT_LEASE_MS = 60_000;

export function resolveConfig(c: EngineConfig = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const home = c.home ?? env.OTTERSCALE_HOME ?? path.join(os.homedir(), ".otterscale");
  return {
    home,
    ledgerUrl: c.ledgerUrl || env.OTTERSCALE_LEDGER_URL || defaultLedgerUrl(home),
    controllerUrl: c.controllerUrl || env.OTTERSCALE_CONTROLLER_URL || `gitops://${path.join(home, "manifests")}`,
    leaseMs: c.leaseMs ?? DEFAULT_LEASE_MS,
    gpuDevices: c.gpuDevices ? checkGpuDevices(c.gpuDevices) : (parseGpuDevicesEnv(env.OTTERSCALE_GPU_DEVICES) ?? {}),
    vclusterChartVersion: vclusterChartVersion(c.vclusterChartVersion || env.OTTERSCALE_VCLUSTER_CHART_VERSION),
  };
}
