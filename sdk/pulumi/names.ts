/**
 * Attribute names between Pulumi (camelCase) and the engine (snake_case, as schema/ defines them).
 *
 * Types are derived from the generated snake_case types (`provider/src/catalog/types.gen.ts`), so
 * there is no second hand-written copy: `Camelize<VirtualMachineArgs>` turns `cpu_cores` into
 * `cpuCores` at every depth. At run time the conversion walks the schema, so only attribute names
 * change: keys of free-form maps (`labels = { node_type = "x" }`) stay exactly as written.
 */
import type { SchemaNode } from "../../provider/src/catalog/catalog";

/** `cpu_cores` -> `cpuCores` at the type level. */
export type SnakeToCamel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<SnakeToCamel<T>>}` : S;

/** Renames every attribute of `T` (recursively) to camelCase; index signatures stay as they are. */
export type Camelize<T> = T extends readonly (infer U)[]
  ? Camelize<U>[]
  : T extends object
    ? { [K in keyof T as K extends string ? SnakeToCamel<K> : K]: Camelize<T[K]> }
    : T;

/** `cpu_cores` -> `cpuCores`. Leading underscores are kept (`__proto__` stays as written, so an error can name it). */
export function snakeToCamel(s: string): string {
  return s.replace(/(?<=[A-Za-z0-9])_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `cpuCores` -> `cpu_cores`. */
export function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

type Direction = "camel" | "snake";

/** An attribute of a schema node: its schema name, its camelCase name and its schema. */
interface Attribute {
  readonly own: string;
  readonly camel: string;
  readonly node: SchemaNode;
}

const attributeIndexes = new WeakMap<object, ReadonlyMap<string, Attribute>>();

/**
 * The attributes of a node's `properties` by either spelling, built once per node: every
 * property is converted on each request otherwise (a scan with a regular expression per
 * attribute, per key, per request, in the Pulumi host's hot path). Where two attributes answer to
 * one name, the first declared wins, as a scan in declaration order would pick it.
 */
function attributeIndex(props: Readonly<Record<string, SchemaNode>>): ReadonlyMap<string, Attribute> {
  let index = attributeIndexes.get(props);
  if (!index) {
    const m = new Map<string, Attribute>();
    for (const own of Object.keys(props)) {
      const a = { own, camel: snakeToCamel(own), node: props[own]! };
      if (!m.has(own)) m.set(own, a);
      if (!m.has(a.camel)) m.set(a.camel, a);
    }
    attributeIndexes.set(props, (index = m));
  }
  return index;
}

/** Child schema of attribute `key` (in either spelling), and its name in the target spelling. */
function childOf(node: SchemaNode | undefined, key: string, to: Direction): { name: string; node?: SchemaNode } {
  const props = node?.properties;
  if (props) {
    const own = attributeIndex(props).get(key);
    if (own) return { name: to === "camel" ? own.camel : own.own, node: own.node };
    // Not an attribute of the schema: convert it anyway so the validator can name it.
    return { name: to === "camel" ? snakeToCamel(key) : camelToSnake(key) };
  }
  // A free-form map (`labels`): keys are data, not attribute names.
  const extra = node?.additionalProperties;
  return { name: key, node: typeof extra === "object" ? extra : undefined };
}

/** The name of top-level attribute `key` (either spelling) of `schema` in the target spelling. */
export function attributeName(schema: SchemaNode, key: string, to: Direction): string {
  return childOf(schema, key, to).name;
}

/**
 * Converts the attribute names of `value` along `schema` to camelCase or snake_case. Unknown
 * attributes are converted by spelling; map keys are left alone.
 *
 * Example: `toSpelling({cpuCores: 2, labels: {my_key: "v"}}, serverSchema, "snake")`
 * -> `{cpu_cores: 2, labels: {my_key: "v"}}`.
 */
export function toSpelling(value: unknown, schema: SchemaNode | undefined, to: Direction): unknown {
  if (Array.isArray(value)) return value.map((v) => toSpelling(v, schema?.items, to));
  if (value === null || typeof value !== "object") return value;
  if (schema && !schema.properties && schema.additionalProperties === undefined && schema.type !== "object") return value;
  // Keys are defined, never assigned: a "__proto__" key stays a key, for validation to refuse.
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const c = childOf(schema, k, to);
      return [c.name, toSpelling(v, c.node, to)];
    }),
  );
}

/**
 * A dotted snake_case attribute path (`placement.spread_domain`, `gpus.0.model`) in camelCase,
 * walking the schema so map keys are kept (`labels.my_key`).
 */
export function camelPath(path: string, schema: SchemaNode | undefined): string {
  if (!path) return path;
  const out: string[] = [];
  let node = schema;
  for (const seg of path.split(".")) {
    if (node?.type === "array" || (node?.items && /^\d+$/.test(seg))) {
      out.push(seg);
      node = node.items;
      continue;
    }
    const c = childOf(node, seg, "camel");
    out.push(c.name);
    node = c.node;
  }
  return out.join(".");
}
