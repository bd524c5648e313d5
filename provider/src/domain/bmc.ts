/**
 * BMC addresses as each consumer reads them. Metal3 reads the driver from the URL scheme of
 * `spec.bmc.address` (a bare `host` is taken as `ipmi://host`, whatever else is said), so the
 * rendered address carries the scheme of `power_type`; MAAS takes the power type as a field and
 * the address as a plain host. An address given with a scheme must agree with `power_type`.
 */
import type { Problem } from "./errors";
import type { ServerArgs } from "../catalog/types.gen";

type Bmc = NonNullable<ServerArgs["bmc"]>;
export type PowerType = NonNullable<Bmc["power_type"]>;

/**
 * Metal3 URL scheme of each power type, and the scheme variants that mean the same driver
 * (`+http` / `+https` choose the transport). `manual` and `virsh` have no Metal3 driver: their
 * records carry no `spec.bmc` (the MAAS controller drives them).
 */
const METAL3_SCHEMES: Readonly<Record<PowerType, readonly string[] | undefined>> = {
  ipmi: ["ipmi"],
  redfish: ["redfish", "redfish+http", "redfish+https"],
  "redfish-virtualmedia": ["redfish-virtualmedia", "redfish-virtualmedia+http", "redfish-virtualmedia+https"],
  manual: undefined,
  virsh: undefined,
};

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

const powerTypeOf = (bmc: Bmc): PowerType => bmc.power_type ?? "ipmi";

/** The scheme of `address` (lower-cased), or undefined for a bare host. */
export function schemeOf(address: string): string | undefined {
  return SCHEME.exec(address)?.[1]?.toLowerCase();
}

/**
 * Why `bmc.address` disagrees with `bmc.power_type`, or nothing. Checked at validation time, so a
 * disagreeing server is refused before anything is written.
 *
 * Example: `{address: "ipmi://10.0.0.5", power_type: "redfish"}` -> a problem at `bmc.address`;
 * `{address: "redfish+http://10.0.0.5/redfish/v1/Systems/1", power_type: "redfish"}` -> none.
 */
export function bmcAddressProblems(bmc: Bmc | undefined): Problem[] {
  if (!bmc) return [];
  const scheme = schemeOf(bmc.address);
  const type = powerTypeOf(bmc);
  const allowed = METAL3_SCHEMES[type];
  if (scheme === undefined || allowed === undefined || allowed.includes(scheme)) return [];
  return [
    {
      path: "bmc.address",
      message: `the scheme "${scheme}://" disagrees with bmc.power_type "${type}" (which uses ${allowed.map((s) => `${s}://`).join(", ")}); fix the scheme, or give the plain host and let power_type choose it`,
    },
  ];
}

/**
 * The address as Metal3 reads it: with the power type's scheme; undefined for power types
 * Metal3 has no driver for. Assumes bmcAddressProblems found nothing.
 *
 * Example: `{address: "10.0.0.5", power_type: "redfish-virtualmedia"}` ->
 * `redfish-virtualmedia://10.0.0.5`; `{address: "10.0.0.5"}` -> `ipmi://10.0.0.5`.
 */
export function metal3BmcAddress(bmc: Bmc): string | undefined {
  const allowed = METAL3_SCHEMES[powerTypeOf(bmc)];
  if (!allowed) return undefined;
  return schemeOf(bmc.address) !== undefined ? bmc.address : `${allowed[0]}://${bmc.address}`;
}

/**
 * The address as MAAS's power drivers read it (`power_address`): ipmi and redfish take
 * `host[:port]`, so a Metal3-style URL is cut down to its authority; virsh takes its libvirt URI
 * (`qemu+ssh://host/system`) as given.
 */
export function maasPowerAddress(bmc: Bmc): string {
  if (!METAL3_SCHEMES[powerTypeOf(bmc)] || schemeOf(bmc.address) === undefined) return bmc.address;
  return bmc.address.replace(SCHEME, "").split("/")[0];
}

/** MAAS power type of ours: MAAS's redfish driver serves both Redfish boot methods. */
export function maasPowerType(type: PowerType): string {
  return type === "redfish-virtualmedia" ? "redfish" : type;
}
