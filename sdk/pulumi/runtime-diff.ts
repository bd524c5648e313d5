/** Diff: which inputs changed and which force a replacement, on normalized inputs. */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { canonical, keyOf } from "../../provider/src/engine/records";
import { forceNewAttributes, inputSchemaOf, schemaOf, type ResourceKind, type SchemaNode } from "../../provider/src/catalog/catalog";
import { problemsOf } from "../../provider/src/catalog/validate";
import { attributeName, snakeToCamel } from "./names";
import { containsUnknown } from "./unknowns";
import { type Props, attributesOf, toEngine } from "./runtime-convert";
import { identityOf } from "./runtime-convert";
/** Canonical form for comparison: sets (uniqueItems arrays) sorted. */
function normalForm(value: unknown, node: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalForm(v, node?.items));
    return node?.uniqueItems ? [...items].sort((a, b) => canonical(a).localeCompare(canonical(b))) : items;
  }
  if (value && typeof value === "object") {
    const props = node?.properties;
    const extra = typeof node?.additionalProperties === "object" ? node.additionalProperties : undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalForm(v, props?.[k] ?? extra)]));
  }
  return value;
}

/** Input attributes of a props object (inputs or outputs), with defaults, snake_case. */
function normalizedInputs(kind: ResourceKind, props: Props): Props {
  const input = inputSchemaOf(kind);
  const snake = toEngine(kind, props);
  const out: Props = {};
  for (const k of Object.keys(input.properties ?? {})) if (snake[k] !== undefined) out[k] = snake[k];
  problemsOf(kind, out); // applies defaults; validity was settled by check
  return out;
}

/**
 * Changed input attributes between the old outputs (which show drift after a refresh) and the
 * new checked inputs; computed outputs are ignored and defaults applied on both sides, so an
 * unchanged program never diffs. Force-new attributes are replaces; an object replaced under the
 * same identity (e.g. a VM moved to another group) must be deleted before it can be re-created.
 */
export function diff(kind: ResourceKind, olds: Props, news: Props): dynamic.DiffResult {
  const attrs = attributesOf(news);
  const unknown = Object.keys(attrs).filter((k) => containsUnknown(attrs[k]));
  const known = Object.fromEntries(Object.entries(attrs).filter(([k]) => !unknown.includes(k)));
  const before = normalizedInputs(kind, olds);
  const after = normalizedInputs(kind, known);
  const input = inputSchemaOf(kind).properties ?? {};
  // A value not known yet (preview) may differ: count it as changed.
  const changed = new Set(unknown.map((k) => attributeName(schemaOf(kind), k, "snake")));
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (canonical(normalForm(before[k], input[k])) !== canonical(normalForm(after[k], input[k]))) changed.add(k);
  }
  const forceNew = new Set(forceNewAttributes(kind));
  const replaces = [...changed].filter((k) => forceNew.has(k));
  const sameIdentity = !unknown.length && identityOf(kind, olds) === keyOf(kind, after);
  return {
    changes: changed.size > 0,
    replaces: replaces.map(snakeToCamel),
    deleteBeforeReplace: replaces.length > 0 && sameIdentity,
  };
}

// ------------------------------------------------------------------ create / read / update / delete
