/**
 * The maas adapter: otterscale_server as a MAAS machine, found by hostname (= the server's
 * `name`, which is a DNS-1123 label and so a valid MAAS hostname).
 *
 * apply:  enlist when missing (`POST machines/` with architecture, MAC and the BMC's power
 *         parameters), else refresh the power parameters; commission when New or failed; wait
 *         until commissioning settles (Ready, or already Allocated/Deployed). A create that fails
 *         after enlisting deletes the machine again, so nothing outlives the released reservation.
 * delete: release when in use, wait, then `DELETE machines/{system_id}/`.
 * Other kinds are not MAAS's business: asking for them is a configuration error.
 */
import { isMachineKind } from "../../kinds";
import { maasPowerAddress, maasPowerType } from "../../domain/bmc";
import { OtterscaleError } from "../../domain/errors";
import type { ResourceKind } from "../../catalog/catalog";
import type { ServerArgs } from "../../catalog/types.gen";
import { pollUntil, waitDeadline } from "../retry";
import { beforeAnyWrite, type ControllerContext, type Controllers, type DesiredObject, type KindController, type ObservedObject } from "../types";
import { MaasClient, type CallOptions, type Form, type Machine } from "./client";
import { COMMISSIONED, COMMISSIONING_FAILED, IN_USE, NEEDS_COMMISSIONING, RELEASING, statusFromMaas } from "./status";

/** Server labels the adapter reads (label values cannot hold `:` or `/`, hence the spellings). */
export const MAC_LABEL = "otterscale.io/mac";
export const ARCHITECTURE_LABEL = "otterscale.io/architecture";
const DEFAULT_ARCHITECTURE = "amd64/generic";
const CLEANUP_MS = 5_000;
const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

function opts(ctx: ControllerContext | undefined, secrets: readonly string[] = []): CallOptions {
  return { deadline: ctx?.deadline, signal: ctx?.signal, secrets };
}

function invalid(name: string, path: string, message: string): OtterscaleError {
  return new OtterscaleError("invalid_input", `server ${name}: ${message}`, [{ path, message }]);
}

/**
 * `power_type` and `power_parameters_*` form fields for the BMC (MAAS names: power_address,
 * power_user, power_pass; virsh also needs power_id, the libvirt domain = the server name).
 * No BMC -> `manual` (MAAS asks a human to press the button).
 */
export function powerForm(s: ServerArgs): Form {
  const bmc = s.bmc;
  if (!bmc) return { power_type: "manual" };
  const type = bmc.power_type ?? "ipmi";
  if (type === "manual") return { power_type: "manual" };
  return {
    power_type: maasPowerType(type),
    power_parameters_power_address: maasPowerAddress(bmc),
    power_parameters_power_user: bmc.username,
    power_parameters_power_pass: bmc.password,
    power_parameters_power_id: type === "virsh" ? s.name : undefined,
  };
}

/** The enlist form; the MAC comes from the `otterscale.io/mac` label (MAAS needs one to PXE boot). */
export function enlistForm(s: ServerArgs): Form {
  const mac = s.labels?.[MAC_LABEL];
  if (!mac) {
    throw invalid(s.name, `labels.${MAC_LABEL}`, `MAAS needs the machine's boot MAC address to enlist it; set labels["${MAC_LABEL}"] = "52-54-00-12-34-56" (dashes: label values cannot contain ':')`);
  }
  if (!MAC.test(mac)) throw invalid(s.name, `labels.${MAC_LABEL}`, `"${mac}" is not a MAC address (expected six hex pairs separated by '-' or ':')`);
  const arch = s.labels?.[ARCHITECTURE_LABEL];
  return {
    hostname: s.name,
    architecture: arch ? (arch.includes("/") ? arch : `${arch}/generic`) : DEFAULT_ARCHITECTURE,
    mac_addresses: [mac.replace(/-/g, ":").toLowerCase()],
    ...powerForm(s),
  };
}

function observed(m: Machine): ObservedObject {
  // Only the identity is carried back: MAAS holds no other attribute of the spec in full (its
  // hardware facts are discovered, and `bmc` holds a password we never read back), and a partial
  // value would read as drift on every refresh.
  return { kind: "server", key: m.hostname, status: statusFromMaas(m.status_name), fields: { name: m.hostname } };
}

export class MaasServerController implements KindController {
  constructor(private readonly client: MaasClient) {}

  async apply(obj: DesiredObject, ctx?: ControllerContext): Promise<ObservedObject> {
    if (!isMachineKind(obj.kind)) throw new OtterscaleError("controller_failed", `maas: ${obj.kind} ${obj.key} sent to the server controller`);
    const s = obj.spec as unknown as ServerArgs;
    const o = opts(ctx, s.bmc?.password ? [s.bmc.password] : []);
    let m = await this.client.findByHostname(s.name, o).catch((e: unknown) => {
      throw beforeAnyWrite(e);
    });
    const enlisted = !m;
    try {
      if (!m) m = await this.client.create(s.name, enlistForm(s), o);
      else if (s.bmc) m = await this.client.update(m, powerForm(s), o);
      if (m.status_name === "Broken") {
        throw new OtterscaleError("controller_failed", `MAAS machine ${s.name} is marked Broken${m.status_message ? ` (${m.status_message})` : ""}; mark it fixed in MAAS, then apply again`);
      }
      if (NEEDS_COMMISSIONING.has(m.status_name)) m = await this.client.op(m, "commission", o);
      if (!COMMISSIONED.has(m.status_name)) m = await this.waitCommissioned(m, ctx);
      return observed(m);
    } catch (e) {
      if (enlisted && m) await this.cleanup(m);
      throw e;
    }
  }

  private waitCommissioned(m: Machine, ctx?: ControllerContext): Promise<Machine> {
    return pollUntil(
      `MAAS machine ${m.hostname} to finish commissioning`,
      async () => {
        const cur = await this.client.get(m.system_id, `read MAAS machine ${m.hostname}`, opts(ctx));
        if (!cur) throw new OtterscaleError("controller_failed", `MAAS machine ${m.hostname} disappeared while commissioning`);
        if (COMMISSIONING_FAILED.has(cur.status_name)) {
          throw new OtterscaleError("controller_failed", `MAAS machine ${m.hostname}: ${cur.status_name}${cur.status_message ? ` (${cur.status_message})` : ""}; see its commissioning log in MAAS`);
        }
        return COMMISSIONED.has(cur.status_name) ? { done: true, value: cur } : { done: false, detail: `last status: ${cur.status_name}` };
      },
      { deadline: waitDeadline(ctx?.deadline), signal: ctx?.signal },
    );
  }

  private async cleanup(m: Machine): Promise<void> {
    try {
      await this.client.remove(m, { deadline: Date.now() + CLEANUP_MS });
    } catch {
      // The original error matters more; the machine shows up in MAAS if this failed.
    }
  }

  async get(key: string, ctx?: ControllerContext): Promise<ObservedObject | undefined> {
    const m = await this.client.findByHostname(key, opts(ctx));
    return m ? observed(m) : undefined;
  }

  async delete(key: string, ctx?: ControllerContext): Promise<void> {
    let m = await this.client.findByHostname(key, opts(ctx));
    if (!m) return;
    if (IN_USE.has(m.status_name)) m = await this.client.op(m, "release", opts(ctx));
    if (RELEASING.has(m.status_name)) {
      const id = m.system_id;
      const found = await pollUntil(
        `MAAS machine ${key} to be released`,
        async () => {
          const cur = await this.client.get(id, `read MAAS machine ${key}`, opts(ctx));
          if (!cur) return { done: true, value: undefined };
          if (cur.status_name.startsWith("Failed")) throw new OtterscaleError("controller_failed", `MAAS machine ${key}: ${cur.status_name}${cur.status_message ? ` (${cur.status_message})` : ""}`);
          return RELEASING.has(cur.status_name) ? { done: false, detail: `last status: ${cur.status_name}` } : { done: true, value: cur };
        },
        { deadline: waitDeadline(ctx?.deadline), signal: ctx?.signal },
      );
      if (!found) return;
      m = found;
    }
    await this.client.remove(m, opts(ctx));
  }

  /** Hostnames of every machine MAAS holds (MAAS has no labels to tell ours apart). */
  async list(ctx?: ControllerContext): Promise<string[]> {
    return (await this.client.list(opts(ctx))).map((m) => m.hostname).sort();
  }
}

/** Servers through MAAS; any other kind is a configuration error (see README). */
export class MaasControllers implements Controllers {
  private readonly servers: MaasServerController;

  constructor(
    /** The controller URL with the key masked. */
    readonly url: string,
    readonly client: MaasClient,
  ) {
    this.servers = new MaasServerController(client);
  }

  forKind(kind: ResourceKind): KindController {
    if (isMachineKind(kind)) return this.servers;
    throw new OtterscaleError(
      "config",
      `the maas controller serves only otterscale_server (bare-metal machines); otterscale_${kind} needs controller_url kubernetes:// or gitops:///dir`,
      [{ path: "controller_url", message: `maas:// does not serve ${kind}` }],
    );
  }
}
