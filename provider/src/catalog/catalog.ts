/**
 * The schema catalog: loads `schema/*.json` (the single source of truth) and inlines `$ref`s so
 * that every consumer (ajv validation, the Terraform schema, docs, generated types) walks one
 * self-contained tree per kind.
 */
import common from "../../../schema/common.json";
import server from "../../../schema/server.json";
import baremetalGroup from "../../../schema/baremetal_group.json";
import tenantQuota from "../../../schema/tenant_quota.json";
import virtualMachine from "../../../schema/virtual_machine.json";
import vcluster from "../../../schema/vcluster.json";
import blockPool from "../../../schema/block_pool.json";
import provider from "../../../schema/provider.json";
import tenantUsage from "../../../schema/data_tenant_usage.json";
import groupCapacity from "../../../schema/data_group_capacity.json";
import vclusterKubeconfig from "../../../schema/ephemeral_vcluster_kubeconfig.json";
import serversLookup from "../../../schema/data_servers.json";
import virtualMachineLookup from "../../../schema/data_virtual_machine.json";
import vclusterLookup from "../../../schema/data_vcluster.json";
import { memoPerKey } from "../lib/memo";

/** A JSON Schema node after `$ref` inlining, with our `x-` annotations. */
export interface SchemaNode {
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
  title?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  uniqueItems?: boolean;
  enum?: unknown[];
  default?: unknown;
  readOnly?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  "x-kind"?: string;
  "x-force-new"?: boolean;
  "x-sensitive"?: boolean;
  "x-import-id"?: string;
  "x-data-source"?: boolean;
  "x-env"?: string;
  /** A number stored in the ledger as thousandths: finer amounts are refused (validate.ts). */
  "x-quantity"?: boolean;
  /**
   * Terraform-only (>= 1.11): the write-only form of the sibling attribute named here (e.g.
   * `user_data_wo` -> `user_data`). Never in plan or state; the Terraform layer hands its value
   * to the engine as the sibling. Other front ends do not see it (see `schemaOf`).
   */
  "x-write-only"?: string;
  /** Terraform-only: the version trigger of the named write-only sibling (`user_data_wo_version`). */
  "x-version-of"?: string;
  /**
   * On a computed attribute: the object's own inputs whose change can change it. An in-place
   * update that changes none of them keeps the value known in the plan (terraform-plugin-framework's
   * UseStateForUnknown); without the marker, any change makes it unknown.
   */
  "x-computed-from"?: string[];
  /**
   * On a computed attribute: it also reflects other objects (usage, membership), so it is a
   * snapshot as of the last refresh; data sources read it fresh.
   */
  "x-observed"?: boolean;
  /**
   * On a data source: it looks up one object of this resource kind by its import ID parts; its
   * attributes are derived from the resource's schema (see `lookupOf`), not written twice.
   */
  "x-lookup-of"?: ResourceKind;
  [keyword: string]: unknown;
}

export const RESOURCE_KINDS = [
  "server",
  "baremetal_group",
  "tenant_quota",
  "virtual_machine",
  "vcluster",
  "block_pool",
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export const DATA_SOURCE_KINDS = ["tenant_usage", "group_capacity", "servers", "virtual_machine_lookup", "vcluster_lookup"] as const;
export type DataSourceKind = (typeof DATA_SOURCE_KINDS)[number];

/**
 * Ephemeral resources (Terraform >= 1.10): opened for one run, never in plan or state. Terraform
 * only; the other front ends read the same values through the resource or the engine.
 */
export const EPHEMERAL_KINDS = ["vcluster_kubeconfig"] as const;
export type EphemeralKind = (typeof EPHEMERAL_KINDS)[number];

/** Kinds owned by a tenant (identified as `tenant/name`). */
export const WORKLOAD_KINDS = ["virtual_machine", "vcluster", "block_pool"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const definitions = (common as { definitions: Record<string, SchemaNode> }).definitions;

function inline(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(inline);
  if (node === null || typeof node !== "object") return node;
  const src = node as Record<string, unknown>;
  let out: Record<string, unknown> = {};
  if (typeof src.$ref === "string") {
    const m = /^common\.json#\/definitions\/(\w+)$/.exec(src.$ref);
    if (!m || !definitions[m[1]]) throw new Error(`schema: unresolvable $ref ${src.$ref}`);
    out = { ...(inline(definitions[m[1]]) as Record<string, unknown>) };
  }
  for (const [k, v] of Object.entries(src)) {
    if (k === "$ref" || k === "$schema" || k === "$id") continue;
    out[k] = k === "properties" ? mapValues(v as Record<string, unknown>, inline) : inline(v);
  }
  return out;
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** Every kind a schema/ file describes. */
export type SchemaKind = ResourceKind | DataSourceKind | EphemeralKind | "provider";

const raw: Record<SchemaKind, unknown> = {
  server,
  baremetal_group: baremetalGroup,
  tenant_quota: tenantQuota,
  virtual_machine: virtualMachine,
  vcluster,
  block_pool: blockPool,
  provider,
  tenant_usage: tenantUsage,
  group_capacity: groupCapacity,
  vcluster_kubeconfig: vclusterKubeconfig,
  servers: serversLookup,
  virtual_machine_lookup: virtualMachineLookup,
  vcluster_lookup: vclusterLookup,
};

/** Attributes only Terraform has: write-only arguments and their version triggers. */
export const isTerraformOnly = (p: SchemaNode): boolean => p["x-write-only"] !== undefined || p["x-version-of"] !== undefined;

/** Read-only copy of a schema node, at any depth (a lookup's outputs). */
function readOnlyDeep(node: SchemaNode): SchemaNode {
  const out: SchemaNode = { ...node, readOnly: true };
  // What an argument's change does is not an output's business.
  if (node["x-force-new"] && node.description) out.description = node.description.replace(/\s*Changing it forces replacement\./, "");
  delete out.default;
  delete out.required;
  delete out["x-force-new"];
  delete out["x-computed-from"];
  delete out["x-observed"];
  if (node.properties) out.properties = mapValues(node.properties, readOnlyDeep);
  if (node.items) out.items = readOnlyDeep(node.items);
  return out;
}

/**
 * A lookup data source's schema from its resource's: the import ID parts (`tenant`, `name`) are
 * its required arguments, every other attribute is exported read-only, except sensitive and
 * Terraform-only ones (a data source's result is stored in state, and secrets are never read back).
 */
function lookupOf(node: SchemaNode, resources: Record<string, SchemaNode>): SchemaNode {
  const of = node["x-lookup-of"];
  if (!of) return node;
  const res = resources[of];
  const ids = String(res["x-import-id"] ?? "name").split("/");
  const properties: Record<string, SchemaNode> = {};
  for (const [k, p] of Object.entries(res.properties ?? {})) {
    if (p["x-sensitive"] || isTerraformOnly(p)) continue;
    if (ids.includes(k)) {
      const arg: SchemaNode = { ...p };
      delete arg["x-force-new"];
      properties[k] = { ...arg, description: `${p.description?.split(/\. /)[0] ?? k}.`.replace(/\.\.$/, ".") };
    } else properties[k] = readOnlyDeep(p);
  }
  return { ...node, additionalProperties: false, required: ids, properties };
}

const inlined = mapValues(raw, (s) => inline(s) as SchemaNode);
const terraformResolved = mapValues(inlined, (s) => Object.freeze(lookupOf(s, inlined)));


/** A schema without its Terraform-only attributes, at any depth. */
function withoutTerraformOnly(node: SchemaNode): SchemaNode {
  if (!node.properties) return node;
  const props: Record<string, SchemaNode> = {};
  for (const [k, p] of Object.entries(node.properties)) if (!isTerraformOnly(p)) props[k] = withoutTerraformOnly(p);
  return { ...node, properties: props };
}

const resolved = mapValues(terraformResolved, (s) => Object.freeze(withoutTerraformOnly(s)));

/**
 * The resolved schema of a resource kind, data source or the provider configuration: what the
 * engine, Pulumi and the generated types know. Terraform-only attributes are not in it.
 */
export function schemaOf(kind: SchemaKind): SchemaNode {
  return resolved[kind];
}

/** The resolved schema as Terraform serves it: `schemaOf` plus the Terraform-only attributes. */
export function terraformSchemaOf(kind: SchemaKind): SchemaNode {
  return terraformResolved[kind];
}

/** A write-only argument: dotted path of its parent object ("" at top level) and the names. */
export interface WriteOnlyArgument {
  readonly parent: string;
  /** The write-only attribute, e.g. `user_data_wo`. */
  readonly name: string;
  /** The attribute whose value it supplies, e.g. `user_data`. */
  readonly target: string;
  /** Its version trigger, e.g. `user_data_wo_version`, if the schema declares one. */
  readonly version?: string;
}

/** Every write-only argument of a kind, at any depth (Terraform >= 1.11). */
export const writeOnlyArguments = memoPerKey((kind: SchemaKind): readonly WriteOnlyArgument[] => {
  const out: WriteOnlyArgument[] = [];
  const walk = (node: SchemaNode, parent: string) => {
    const props = node.properties ?? {};
    for (const [k, p] of Object.entries(props)) {
      const target = p["x-write-only"];
      if (target !== undefined) {
        if (!props[target]) throw new Error(`schema: ${kind} ${parent ? `${parent}.` : ""}${k}: x-write-only names no sibling ${target}`);
        const version = Object.entries(props).find(([, q]) => q["x-version-of"] === k)?.[0];
        out.push({ parent, name: k, target, ...(version ? { version } : {}) });
      }
      if (p.type === "object" && p.properties) walk(p, parent ? `${parent}.${k}` : k);
    }
  };
  walk(terraformResolved[kind], "");
  return Object.freeze(out);
});

/**
 * Terraform/registry type name, e.g. `otterscale_virtual_machine`. A lookup data source carries
 * its resource's name (`data "otterscale_virtual_machine"`), which its schema's title says.
 */
export function typeNameOf(kind: ResourceKind | DataSourceKind | EphemeralKind): string {
  const node = raw[kind] as SchemaNode;
  return node["x-lookup-of"] && node.title ? node.title : `otterscale_${kind}`;
}

/** Top-level attributes that force replacement when changed. */
export function forceNewAttributes(kind: ResourceKind): string[] {
  return memo(`force-new:${kind}`, () => Object.entries(schemaOf(kind).properties ?? {})
    .filter(([, p]) => p["x-force-new"])
    .map(([k]) => k));
}

const memos = new Map<string, string[]>();
function memo(key: string, f: () => string[]): string[] {
  let v = memos.get(key);
  if (!v) memos.set(key, (v = Object.freeze(f()) as string[]));
  return v;
}

/** Attribute paths (dotted) marked sensitive, at any depth. */
export function sensitivePaths(kind: ResourceKind | "provider"): string[] {
  return memo(`sensitive:${kind}`, () => collectSensitive(kind));
}

function collectSensitive(kind: ResourceKind | "provider"): string[] {
  const out: string[] = [];
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [k, p] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (p["x-sensitive"]) out.push(path);
      if (p.type === "object" && p.properties) walk(p, path);
    }
  };
  walk(schemaOf(kind), "");
  return out;
}

/**
 * The input half of a schema: computed (`readOnly`) attributes removed, recursively. This is what
 * users write and what ajv validates.
 */
export function inputSchemaOf(kind: SchemaKind): SchemaNode {
  const strip = (node: SchemaNode): SchemaNode => {
    if (!node.properties) return node;
    const props: Record<string, SchemaNode> = {};
    for (const [k, p] of Object.entries(node.properties)) if (!p.readOnly) props[k] = strip(p);
    const required = node.required?.filter((r) => r in props);
    return { ...node, properties: props, ...(required ? { required } : {}) };
  };
  return strip(schemaOf(kind));
}
