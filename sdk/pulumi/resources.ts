/**
 * The six resources as Pulumi dynamic resources with module `otterscale`, so their type tokens
 * read `pulumi-nodejs:dynamic/otterscale:VirtualMachine` and so on.
 */
import * as pulumi from "@pulumi/pulumi";
import { schemaOf, sensitivePaths, type ResourceKind } from "../../provider/src/catalog/catalog";
import { snakeToCamel } from "./names";
import { providerFor, type OtterscaleProvider } from "./provider";
import { OWNER_INPUT, ownerOf } from "./owner";
import type {
  BaremetalGroupArgs,
  BaremetalGroupOutputs,
  BlockPoolArgs,
  BlockPoolOutputs,
  ServerArgs,
  ServerOutputs,
  TenantQuotaArgs,
  TenantQuotaOutputs,
  VClusterArgs,
  VClusterOutputs,
  VirtualMachineArgs,
  VirtualMachineOutputs,
} from "./types";

/** Pulumi module of every token. */
export const MODULE = "otterscale";

/** Type name in the token, per kind. */
export const TYPE_NAMES: Readonly<Record<ResourceKind, string>> = {
  server: "Server",
  baremetal_group: "BaremetalGroup",
  tenant_quota: "TenantQuota",
  virtual_machine: "VirtualMachine",
  vcluster: "VCluster",
  block_pool: "BlockPool",
};

/** `pulumi-nodejs:dynamic/otterscale:VirtualMachine` for `virtual_machine`. */
export const tokenOf = (kind: ResourceKind): string => `pulumi-nodejs:dynamic/${MODULE}:${TYPE_NAMES[kind]}`;

// One provider object per kind: the SDK serializes each object once and all resources of the kind
// share the text (and therefore one configured provider in the host).
const providers = new Map<ResourceKind, OtterscaleProvider>();
function providerOf(kind: ResourceKind): OtterscaleProvider {
  let p = providers.get(kind);
  if (!p) {
    p = providerFor(kind, require.resolve("./runtime"));
    providers.set(kind, p);
  }
  return p;
}

/** Sensitive top-level outputs of a kind (`userData`, `kubeconfig`, `bmc`), from the schema. */
export function secretOutputsOf(kind: ResourceKind): string[] {
  return [...new Set(sensitivePaths(kind).map((p) => snakeToCamel(p.split(".")[0])))];
}

/**
 * Resource props: every attribute of the schema (so each output gets a property on the resource;
 * computed ones start undefined), the user's args on top, and `name` defaulting to the logical name.
 */
function propsOf(kind: ResourceKind, logicalName: string, args: object): pulumi.Inputs {
  const attrs = Object.keys(schemaOf(kind).properties ?? {}).filter((k) => k !== "id");
  const props: pulumi.Inputs = Object.fromEntries(attrs.map((k) => [snakeToCamel(k), undefined]));
  Object.assign(props, args);
  if (attrs.includes("name") && props.name === undefined) props.name = logicalName;
  // The stack and resource that declare the object: the ledger records it, and another stack's
  // (or another resource's) create, update or delete of the object is refused; `adopt: true`
  // takes it over on purpose. Per resource, so that two resources of one stack swapping names
  // never silently trade objects.
  props[OWNER_INPUT] = ownerOf(pulumi.getProject(), pulumi.getStack(), logicalName);
  return props;
}

function optionsOf(kind: ResourceKind, opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  // `pulumi.secret` inside the provider's outs fails; secrets are declared on the resource instead.
  return { ...opts, additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), ...secretOutputsOf(kind)])] };
}

abstract class OtterscaleResource extends pulumi.dynamic.Resource {
  protected constructor(kind: ResourceKind, name: string, args: object, opts?: pulumi.CustomResourceOptions) {
    super(providerOf(kind), name, propsOf(kind, name, args), optionsOf(kind, opts), MODULE, TYPE_NAMES[kind]);
  }
}

/** A bare-metal server in the inventory (`otterscale_server`). */
export interface Server extends ServerOutputs {}
export class Server extends OtterscaleResource {
  constructor(name: string, args: ServerArgs, opts?: pulumi.CustomResourceOptions) {
    super("server", name, args, opts);
  }
}

/** A set of servers, explicit and by selector (`otterscale_baremetal_group`). */
export interface BaremetalGroup extends BaremetalGroupOutputs {}
export class BaremetalGroup extends OtterscaleResource {
  constructor(name: string, args: BaremetalGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super("baremetal_group", name, args, opts);
  }
}

/** A tenant's caps inside one group (`otterscale_tenant_quota`); identity `tenant/group`. */
export interface TenantQuota extends TenantQuotaOutputs {}
export class TenantQuota extends OtterscaleResource {
  constructor(name: string, args: TenantQuotaArgs, opts?: pulumi.CustomResourceOptions) {
    super("tenant_quota", name, args, opts);
  }
}

/** A KubeVirt virtual machine (`otterscale_virtual_machine`); `userData` is a secret output. */
export interface VirtualMachine extends VirtualMachineOutputs {}
export class VirtualMachine extends OtterscaleResource {
  constructor(name: string, args: VirtualMachineArgs, opts?: pulumi.CustomResourceOptions) {
    super("virtual_machine", name, args, opts);
  }
}

/** A vCluster virtual Kubernetes cluster (`otterscale_vcluster`); `kubeconfig` is a secret output. */
export interface VCluster extends VClusterOutputs {}
export class VCluster extends OtterscaleResource {
  constructor(name: string, args: VClusterArgs, opts?: pulumi.CustomResourceOptions) {
    super("vcluster", name, args, opts);
  }
}

/** A Ceph RBD pool (`otterscale_block_pool`). */
export interface BlockPool extends BlockPoolOutputs {}
export class BlockPool extends OtterscaleResource {
  constructor(name: string, args: BlockPoolArgs, opts?: pulumi.CustomResourceOptions) {
    super("block_pool", name, args, opts);
  }
}
