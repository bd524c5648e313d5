/**
 * CDKTF constructs for the otterscale provider (`otterscale-iac/cdktf`).
 *
 * The classes are generated from the provider schema by `npm run gen:cdktf` (see
 * `scripts/gen-cdktf.js`) into `./generated`; this module re-exports them under short names and
 * adds the thin helpers in `./estate`. Resource ids, validation, quota and placement all happen in
 * the provider at plan/apply time, exactly as with plain Terraform.
 *
 * ```ts
 * import { App, TerraformStack } from "cdktf";
 * import { OtterscaleProvider, VirtualMachine } from "otterscale-iac/cdktf";
 * ```
 */
export { OtterscaleProvider, type OtterscaleProviderConfig } from "./generated/provider";
export {
  Server,
  type ServerConfig,
  type ServerBmc,
  type ServerGpus,
  type ServerTimeouts,
  ServerBmcOutputReference,
  ServerGpusList,
  ServerGpusOutputReference,
} from "./generated/server";
export {
  BaremetalGroup,
  type BaremetalGroupConfig,
  type BaremetalGroupSelector,
  type BaremetalGroupTimeouts,
  BaremetalGroupSelectorOutputReference,
} from "./generated/baremetal-group";
export { TenantQuota, type TenantQuotaConfig, type TenantQuotaTimeouts } from "./generated/tenant-quota";
export {
  VirtualMachine,
  type VirtualMachineConfig,
  type VirtualMachinePlacement,
  type VirtualMachineTimeouts,
  VirtualMachinePlacementOutputReference,
} from "./generated/virtual-machine";
export {
  Vcluster as VCluster,
  type VclusterConfig as VClusterConfig,
  type VclusterTimeouts as VClusterTimeouts,
} from "./generated/vcluster";
export {
  BlockPool,
  type BlockPoolConfig,
  type BlockPoolErasureCoded,
  type BlockPoolTimeouts,
  BlockPoolErasureCodedOutputReference,
} from "./generated/block-pool";
export {
  DataOtterscaleTenantUsage as DataTenantUsage,
  type DataOtterscaleTenantUsageConfig as DataTenantUsageConfig,
} from "./generated/data-otterscale-tenant-usage";
export {
  DataOtterscaleGroupCapacity as DataGroupCapacity,
  type DataOtterscaleGroupCapacityConfig as DataGroupCapacityConfig,
} from "./generated/data-otterscale-group-capacity";
/** Every generated module, by its generated namespace name (for anything not re-exported above). */
export * as generated from "./generated";
export { Estate, type EstateProps, type EstateGroup, type EstateQuota, type TenantPlacement } from "./estate";
