/**
 * The Terraform view of schema/: derived from the catalog, never written by hand.
 *
 * Mapping (JSON Schema -> protocol 6):
 * - object with `properties`            -> nested attribute, nesting SINGLE
 * - array of such objects               -> nested attribute LIST (SET with `uniqueItems`)
 * - array of scalars                    -> `["list", T]` (`["set", T]` with `uniqueItems`)
 * - object with only additionalProperties -> `["map", T]`
 * - string / number|integer / boolean   -> "string" / "number" / "bool"
 * - `readOnly` -> computed; `default` -> optional+computed; listed in `required` -> required;
 *   otherwise optional. `x-sensitive` -> sensitive; `x-force-new` -> requires replacement.
 * - `x-write-only` -> write_only (Terraform >= 1.11: in config only, never in plan or state);
 *   it and `x-version-of` (its version trigger) are Terraform-only: the engine never sees them.
 * - `x-computed-from` / `x-observed` on computed attributes: which inputs can change them in an
 *   in-place update (plan.ts), and whether other objects change them too (a refresh snapshot).
 * Every resource also gets the `timeouts` block (create/update/delete, Go durations) that
 * terraform-plugin-framework-timeouts users know.
 */
import {
  DATA_SOURCE_KINDS,
  EPHEMERAL_KINDS,
  isTerraformOnly,
  RESOURCE_KINDS,
  terraformSchemaOf,
  typeNameOf,
  type DataSourceKind,
  type EphemeralKind,
  type ResourceKind,
  type SchemaNode,
} from "../catalog/catalog";
import type { TfType, TfValue } from "./codec/types";

export type Nesting = "single" | "list" | "set" | "map";

export interface AttributeSpec {
  readonly name: string;
  /** Value type (for nested attributes: the object/collection type Terraform derives). */
  readonly type: TfType;
  /** Present for nested attributes. */
  readonly nested?: { readonly nesting: Nesting; readonly attributes: readonly AttributeSpec[] };
  readonly required: boolean;
  readonly optional: boolean;
  readonly computed: boolean;
  readonly sensitive: boolean;
  readonly forceNew: boolean;
  /** Terraform >= 1.11 write-only argument: planned and stored as null, read from config at apply. */
  readonly writeOnly?: boolean;
  /** Computed: the inputs whose change makes it unknown in a plan (`x-computed-from`); undefined = any. */
  readonly computedFrom?: readonly string[];
  /** Computed from other objects too (`x-observed`): a snapshot as of the last refresh. */
  readonly observed?: boolean;
  /** Known to Terraform only (write-only arguments, their version triggers): never an engine argument. */
  readonly terraformOnly?: boolean;
  /** Default filled in at plan time when the configuration leaves the attribute null. */
  readonly default?: TfValue;
  /** `enum` of the JSON Schema, for docs. */
  readonly allowed?: readonly unknown[];
  readonly description: string;
}

export interface BlockTypeSpec {
  readonly name: string;
  readonly nesting: "single";
  readonly attributes: readonly AttributeSpec[];
  readonly description: string;
}

export interface ObjectSpec {
  /** `otterscale_virtual_machine`, or `otterscale` for the provider. */
  readonly typeName: string;
  readonly kind: ResourceKind | DataSourceKind | EphemeralKind | "provider";
  readonly description: string;
  readonly attributes: readonly AttributeSpec[];
  readonly blocks: readonly BlockTypeSpec[];
  /** The object type of a whole value (attributes and blocks). */
  readonly type: TfType;
}

export { TIMEOUT_OPERATIONS_LIST as TIMEOUT_OPERATIONS } from "./timeouts";
import { TIMEOUT_OPERATIONS_LIST as TIMEOUT_OPERATIONS } from "./timeouts";

const TIMEOUTS_BLOCK: BlockTypeSpec = {
  name: "timeouts",
  nesting: "single",
  description: "Operation timeouts, as Go duration strings (`30s`, `10m`, `1h30m`).",
  attributes: TIMEOUT_OPERATIONS.map((op) => ({
    name: op,
    type: "string" as const,
    required: false,
    optional: true,
    computed: false,
    sensitive: false,
    forceNew: false,
    description: `A string that can be [parsed as a duration](https://pkg.go.dev/time#ParseDuration) consisting of numbers and unit suffixes, such as "30s" or "2h45m". Valid time units are "s" (seconds), "m" (minutes), "h" (hours). Limits the ${op} operation.`,
  })),
};

const isObjectWithProperties = (n: SchemaNode | undefined): boolean =>
  !!n && n.type === "object" && !!n.properties && Object.keys(n.properties).length > 0;

function scalarType(node: SchemaNode, where: string): TfType {
  switch (node.type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "bool";
    case "array":
      return [node.uniqueItems ? "set" : "list", scalarType(node.items ?? { type: "string" }, `${where}[]`)];
    case "object": {
      const ap = node.additionalProperties;
      return ["map", typeof ap === "object" ? scalarType(ap, `${where}{}`) : "string"];
    }
    default:
      throw new Error(`schema: no Terraform type for ${where} (type ${String(node.type)})`);
  }
}

function objectTypeOf(attributes: readonly AttributeSpec[], blocks: readonly BlockTypeSpec[] = []): TfType {
  const attrs: Record<string, TfType> = {};
  for (const a of attributes) attrs[a.name] = a.type;
  for (const b of blocks) attrs[b.name] = objectTypeOf(b.attributes);
  return ["object", attrs];
}

/** One property of a JSON Schema object as a Terraform attribute. */
export function attributeOf(name: string, node: SchemaNode, required: boolean, where: string): AttributeSpec {
  const computed = !!node.readOnly || node.default !== undefined;
  const flags = {
    name,
    required: required && !node.readOnly,
    optional: !node.readOnly && !required,
    computed,
    sensitive: !!node["x-sensitive"],
    forceNew: !!node["x-force-new"],
    ...(node["x-write-only"] !== undefined ? { writeOnly: true } : {}),
    ...(isTerraformOnly(node) ? { terraformOnly: true } : {}),
    ...(Array.isArray(node["x-computed-from"]) ? { computedFrom: node["x-computed-from"] } : {}),
    ...(node["x-observed"] ? { observed: true } : {}),
    description: node.description ?? "",
    ...(node.default !== undefined ? { default: node.default as TfValue } : {}),
    ...(node.enum ? { allowed: node.enum } : {}),
  };
  let nested: { nesting: Nesting; attributes: AttributeSpec[] } | undefined;
  if (isObjectWithProperties(node)) nested = { nesting: "single", attributes: attributesOf(node, `${where}.${name}`) };
  else if (node.type === "array" && isObjectWithProperties(node.items)) {
    nested = { nesting: node.uniqueItems ? "set" : "list", attributes: attributesOf(node.items as SchemaNode, `${where}.${name}`) };
  }
  if (!nested) return { ...flags, type: scalarType(node, `${where}.${name}`) };
  const obj = objectTypeOf(nested.attributes);
  const type: TfType = nested.nesting === "single" ? obj : [nested.nesting, obj];
  return { ...flags, type, nested };
}

function attributesOf(node: SchemaNode, where: string): AttributeSpec[] {
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties ?? {}).map(([k, p]) => attributeOf(k, p, required.has(k), where));
}

function specOf(kind: ResourceKind | DataSourceKind | EphemeralKind | "provider", withTimeouts: boolean): ObjectSpec {
  const node = terraformSchemaOf(kind);
  const typeName = kind === "provider" ? "otterscale" : typeNameOf(kind);
  const attributes = attributesOf(node, typeName);
  const blocks = withTimeouts ? [TIMEOUTS_BLOCK] : [];
  return { typeName, kind, description: node.description ?? "", attributes, blocks, type: objectTypeOf(attributes, blocks) };
}

let cache: { resources: Map<string, ObjectSpec>; dataSources: Map<string, ObjectSpec>; ephemeralResources: Map<string, ObjectSpec>; provider: ObjectSpec } | undefined;

/** Every spec, built once per process. */
export function specs() {
  cache ??= {
    resources: new Map(RESOURCE_KINDS.map((k) => [typeNameOf(k), specOf(k, true)])),
    dataSources: new Map(DATA_SOURCE_KINDS.map((k) => [typeNameOf(k), specOf(k, false)])),
    ephemeralResources: new Map(EPHEMERAL_KINDS.map((k) => [typeNameOf(k), specOf(k, false)])),
    provider: specOf("provider", false),
  };
  return cache;
}

export const resourceSpec = (typeName: string): ObjectSpec | undefined => specs().resources.get(typeName);
export const dataSourceSpec = (typeName: string): ObjectSpec | undefined => specs().dataSources.get(typeName);
export const ephemeralSpec = (typeName: string): ObjectSpec | undefined => specs().ephemeralResources.get(typeName);
export const providerSpec = (): ObjectSpec => specs().provider;
