/**
 * Engine arguments from a front end's planned values: only the attributes a user can set
 * (computed ones such as `id`, `status`, `used_*` dropped, recursively), nulls and unknowns
 * dropped, Pulumi's camelCase names turned back into the schema's snake_case. Pure.
 */
import { inputSchemaOf, type ResourceKind, type SchemaNode } from "../../catalog/catalog";

/** What Pulumi writes for a value not known until apply. */
export const PULUMI_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Signature key of a Pulumi secret envelope `{ "4dabf...": "1b47...", value }`. */
export const PULUMI_SECRET_SIG = "4dabf18193072939515e22adb298388d";

const snakeToCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Keeps the input attributes of `value` along `schema`; a free-form map (`labels`) keeps every
 * key. Absent, null and unknown values disappear (the engine applies its defaults and the plan
 * treats unknowns as not yet decided).
 *
 * Example (virtual_machine): `{name: "web", cpu_cores: 2, server: "s1", status: null, timeouts: null}`
 * -> `{name: "web", cpu_cores: 2}` (`server`, `status` are computed; `timeouts` is not an attribute).
 */
export function inputArgs(kind: ResourceKind, value: unknown): Record<string, unknown> {
  return (keep(value, inputSchemaOf(kind)) as Record<string, unknown> | undefined) ?? {};
}

function keep(value: unknown, node: SchemaNode | undefined): unknown {
  if (value === null || value === undefined || value === PULUMI_UNKNOWN) return undefined;
  if (Array.isArray(value)) return value.map((v) => keep(v, node?.items)).filter((v) => v !== undefined);
  if (typeof value !== "object") return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (node?.properties) {
    for (const [k, child] of Object.entries(node.properties)) {
      const v = keep(src[k], child);
      if (v !== undefined) out[k] = v;
    }
  } else {
    const child = typeof node?.additionalProperties === "object" ? node.additionalProperties : undefined;
    for (const [k, e] of Object.entries(src)) {
      const v = keep(e, child);
      if (v !== undefined) out[k] = v;
    }
  }
  return out;
}

/**
 * Snake_case paths of the inputs Pulumi does not know yet (computed by other resources).
 *
 * Example: `{name: "<unknown>", placement: {antiAffinityGroup: "<unknown>"}}` -> `["name", "placement.anti_affinity_group"]`.
 */
export function unknownPulumiPaths(inputs: unknown, prefix = ""): string[] {
  if (inputs === PULUMI_UNKNOWN) return prefix ? [prefix] : [];
  if (!inputs || typeof inputs !== "object" || Array.isArray(inputs)) return [];
  return Object.entries(inputs as Record<string, unknown>).flatMap(([k, v]) => {
    const name = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return unknownPulumiPaths(v, prefix ? `${prefix}.${name}` : name);
  });
}

/**
 * Pulumi inputs (camelCase attribute names, secret envelopes, the dynamic provider's
 * `__provider`) as snake_case attributes. Map keys (`labels`) are data and stay as written;
 * names the schema does not know are dropped.
 *
 * Example (server): `{__provider: "...", cpuCores: 8, labels: {node_type: "x"}}` -> `{cpu_cores: 8, labels: {node_type: "x"}}`.
 */
export function fromPulumiInputs(kind: ResourceKind, inputs: unknown): Record<string, unknown> {
  return (snake(inputs, inputSchemaOf(kind)) as Record<string, unknown> | undefined) ?? {};
}

function snake(value: unknown, node: SchemaNode | undefined): unknown {
  if (value === null || value === undefined || value === PULUMI_UNKNOWN) return undefined;
  if (Array.isArray(value)) return value.map((v) => snake(v, node?.items)).filter((v) => v !== undefined);
  if (typeof value !== "object") return value;
  const src = value as Record<string, unknown>;
  if (PULUMI_SECRET_SIG in src) return "value" in src ? snake(src.value, node) : undefined;
  const out: Record<string, unknown> = {};
  if (node?.properties) {
    for (const [k, child] of Object.entries(node.properties)) {
      const v = snake(k in src ? src[k] : src[snakeToCamel(k)], child);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  const child = typeof node?.additionalProperties === "object" ? node.additionalProperties : undefined;
  for (const [k, e] of Object.entries(src)) {
    const v = snake(e, child);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
