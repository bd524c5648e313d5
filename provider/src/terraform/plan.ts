/**
 * Plan semantics, as pure functions over schema specs and Terraform values:
 * - planned = config wherever config is set (unknown included);
 * - optional+computed attributes with a default get the default when config leaves them null;
 * - on create, computed-only attributes are unknown;
 * - on update, nothing changes when the inputs equal the prior state; otherwise computed-only
 *   attributes stay known unless one of the inputs they are computed from changed (the schema's
 *   `x-computed-from`; without it, any change makes them unknown);
 * - requires_replace lists the `x-force-new` attributes whose planned value differs from prior.
 *
 * Example (otterscale_virtual_machine, create): config `{name:"web", cpu_cores:2, gpu_count:null,
 * server:null, ...}` -> planned `{name:"web", cpu_cores:2, gpu_count:0, server:(unknown), ...}`.
 */
import type { AttributeSpec, ObjectSpec } from "./schema";
import { DRIFTED } from "../engine/contract";
import { sensitivePaths, type ResourceKind } from "../catalog/catalog";
import { dropTerraformOnly, versionPaths } from "./write-only";
import { isUnknown, isWhollyKnown, UNKNOWN, valuesEqual, type TfObject, type TfType, type TfValue } from "./codec/types";

/** Refreshed statuses that an in-place update repairs by re-applying the rendered manifest. */
const REAPPLY_STATUSES: ReadonlySet<string> = new Set(["Missing", DRIFTED]);

const isObject = (v: TfValue | undefined): v is TfObject => !!v && typeof v === "object" && !Array.isArray(v) && !isUnknown(v);
const computedOnly = (a: AttributeSpec) => a.computed && !a.optional && !a.required;

/** A schema default for one plan (plans change their values); a scalar is its own copy. */
const copyOf = (v: TfValue): TfValue => (v !== null && typeof v === "object" ? structuredClone(v) : v);

/** Planned value of one configurable attribute (config, defaults, recursion into nested objects). */
function planAttribute(a: AttributeSpec, cfg: TfValue | undefined, prior: TfValue | undefined): TfValue {
  if (cfg === null || cfg === undefined) return a.default === undefined ? null : copyOf(a.default);
  if (isUnknown(cfg) || !a.nested) return cfg;
  const attrs = a.nested.attributes;
  if (a.nested.nesting === "single") return planObject(attrs, cfg as TfObject, isObject(prior) ? prior : null);
  if (Array.isArray(cfg)) {
    const priorList = a.nested.nesting === "list" && Array.isArray(prior) ? prior : [];
    return cfg.map((e, i) => (isObject(e) ? planObject(attrs, e, isObject(priorList[i]) ? priorList[i] : null) : e));
  }
  const out: TfObject = {};
  for (const [k, e] of Object.entries(cfg as TfObject)) out[k] = isObject(e) ? planObject(attrs, e, null) : e;
  return out;
}

/** Plans an object's attributes; computed-only ones are unknown (`create`) or prior (update, fixed later). */
function planObject(attrs: readonly AttributeSpec[], config: TfObject, prior: TfObject | null): TfObject {
  const out: TfObject = {};
  for (const a of attrs) {
    if (computedOnly(a)) out[a.name] = prior ? (prior[a.name] ?? null) : UNKNOWN;
    else if (a.writeOnly) out[a.name] = null; // Terraform >= 1.11 rejects a plan that holds a write-only value
    else out[a.name] = planAttribute(a, config[a.name], prior?.[a.name]);
  }
  return out;
}

export interface PlanOutcome {
  /** null = destroy. */
  readonly planned: TfValue;
  /** Top-level attribute names whose change forces replacement. */
  readonly requiresReplace: readonly string[];
  /** True when some configurable attribute differs from the prior state (always true on create). */
  readonly changed: boolean;
}

/** Names of configurable attributes whose planned value differs from prior. */
export function changedInputs(spec: ObjectSpec, planned: TfObject, prior: TfObject): string[] {
  return spec.attributes.filter((a) => !computedOnly(a) && !valuesEqual(planned[a.name], prior[a.name], a.type)).map((a) => a.name);
}

/**
 * The planned state for PlanResourceChange.
 * `prior` null = create; `config` null = destroy. Blocks (`timeouts`) are copied from config.
 */
export function planResource(spec: ObjectSpec, prior: TfValue, config: TfValue): PlanOutcome {
  if (config === null || !isObject(config)) return { planned: null, requiresReplace: [], changed: prior !== null };
  const priorObj = isObject(prior) ? prior : null;
  const planned = planObject(spec.attributes, config, priorObj);
  for (const b of spec.blocks) planned[b.name] = config[b.name] ?? null;
  if (!priorObj) return { planned, requiresReplace: [], changed: true };

  const changed = changedInputs(spec, planned, priorObj);
  if (changed.length === 0 && REAPPLY_STATUSES.has(String(priorObj.status)) && spec.attributes.some((a) => a.name === "status")) {
    // The backend lost the record (a server's inventory manifest), or holds something else than
    // was rendered (a hand-edited nodeSelector): an in-place update re-renders it from the
    // configuration, secrets included, which the ledger never keeps.
    for (const a of spec.attributes) if (computedOnly(a)) planned[a.name] = a.name === "status" ? UNKNOWN : (priorObj[a.name] ?? null);
    return { planned, requiresReplace: [], changed: true };
  }
  if (changed.length === 0) {
    // Nothing to do: keep every computed value exactly as it is (Terraform then shows no diff).
    for (const a of spec.attributes) if (computedOnly(a)) planned[a.name] = priorObj[a.name] ?? null;
    return { planned, requiresReplace: [], changed: false };
  }
  const changedSet = new Set(changed);
  for (const a of spec.attributes) {
    if (!computedOnly(a)) continue;
    const deps = a.computedFrom;
    const stable = deps !== undefined && !deps.some((d) => changedSet.has(d));
    planned[a.name] = stable ? (priorObj[a.name] ?? null) : UNKNOWN;
  }
  const requiresReplace = spec.attributes.filter((a) => a.forceNew && changedSet.has(a.name)).map((a) => a.name);
  return { planned, requiresReplace, changed: true };
}

/**
 * The plan of an update that changes no input (a takeover, a re-render): every computed value
 * becomes unknown, so Terraform shows the update and calls apply.
 */
export function asUpdate(spec: ObjectSpec, planned: TfObject): PlanOutcome {
  const out: TfObject = { ...planned };
  for (const a of spec.attributes) if (computedOnly(a) && a.name !== "id") out[a.name] = UNKNOWN;
  return { planned: out, requiresReplace: [], changed: true };
}

/**
 * Coerces an engine value to type `t`: absent -> null, objects get exactly the type's attributes.
 */
export function normalize(v: unknown, t: TfType): TfValue {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(t)) return v as TfValue;
  const [kind, inner] = t;
  if ((kind === "list" || kind === "set") && Array.isArray(v)) return v.map((e) => normalize(e, inner as TfType));
  if (kind === "map" && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as object).map(([k, e]) => [k, normalize(e, inner as TfType)]));
  }
  if (kind === "object" && typeof v === "object") {
    const src = v as Record<string, unknown>;
    return Object.fromEntries(Object.entries(inner as Record<string, TfType>).map(([k, at]) => [k, normalize(src[k], at)]));
  }
  return v as TfValue;
}

/**
 * The state to report after apply: every known planned value wins (Terraform rejects a new state
 * that contradicts a known planned value), unknowns are filled from what the engine returned.
 *
 * Example: planned `{cpu_cores: 2, server: (unknown)}`, engine `{cpu_cores: 2, server: "s1"}` ->
 * `{cpu_cores: 2, server: "s1"}`.
 */
export function resolvePlanned(planned: TfValue, actual: TfValue, t: TfType): TfValue {
  if (isUnknown(planned)) return normalize(actual, t);
  if (Array.isArray(t) && t[0] === "object" && isObject(planned)) {
    const act = isObject(actual) ? actual : {};
    const attrs = t[1] as Record<string, TfType>;
    return Object.fromEntries(Object.keys(attrs).map((k) => [k, resolvePlanned(planned[k] ?? null, act[k] ?? null, attrs[k])]));
  }
  if (Array.isArray(t) && t[0] === "list" && Array.isArray(planned)) {
    const act = Array.isArray(actual) && actual.length === planned.length ? actual : [];
    return planned.map((p, i) => resolvePlanned(p, act[i] ?? null, t[1] as TfType));
  }
  // Sets and maps cannot be matched element by element: any unknown inside means "take the engine's".
  if (!isWhollyKnown(planned)) return normalize(actual, t);
  return planned;
}

/**
 * Refreshed state from the engine's read: the engine is the truth, except that optional
 * attributes the user left null stay null (the engine may report its own defaults for them, e.g.
 * block_pool.replicas = 3, which would otherwise show as a perpetual diff), and blocks
 * (`timeouts`) keep their prior value since only Terraform knows them.
 */
export function refreshedState(spec: ObjectSpec, prior: TfValue, read: unknown): TfValue {
  const fresh = normalize(read, spec.type) as TfObject;
  const priorObj = isObject(prior) ? prior : null;
  for (const a of spec.attributes) {
    if (priorObj && a.optional && !a.computed && (priorObj[a.name] ?? null) === null) fresh[a.name] = null;
  }
  for (const b of spec.blocks) fresh[b.name] = priorObj?.[b.name] ?? null;
  // The ledger never stores sensitive inputs (only a digest), so a read cannot return them: keep
  // the ones in state, or every refresh would plan an update that re-sends them.
  if (priorObj) for (const path of sensitivePaths(spec.kind as ResourceKind)) carryOver(fresh, priorObj, path.split("."));
  // Write-only version triggers are Terraform's alone (the engine never sees them): keep them too.
  if (priorObj) for (const path of versionPaths(spec.kind as ResourceKind)) carryOver(fresh, priorObj, path.split("."));
  return fresh;
}

function carryOver(fresh: TfObject, prior: TfObject, path: readonly string[]): void {
  const [head, ...rest] = path;
  const p = prior[head];
  if (p === null || p === undefined) return;
  if (!rest.length) {
    if (fresh[head] === null || fresh[head] === undefined) fresh[head] = p;
    return;
  }
  const f = fresh[head];
  if (isObject(f) && isObject(p)) carryOver(f, p, rest);
}

/**
 * Dotted paths of the values not known yet in a planned value (computed by other resources).
 *
 * Example: `{name: UNKNOWN, placement: {server: UNKNOWN}}` -> `["name", "placement.server"]`.
 */
export function unknownPaths(value: TfValue, prefix = ""): string[] {
  if (isUnknown(value)) return [prefix];
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => unknownPaths(v as TfValue, prefix ? `${prefix}.${k}` : k));
}

/**
 * The engine's arguments from a planned or config value: configurable attributes only, nulls
 * and unknowns dropped (the engine applies its own defaults and may ignore unknown inputs).
 */
export function argsOf(spec: ObjectSpec, value: TfValue): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObject(value)) return out;
  for (const a of spec.attributes) {
    if (computedOnly(a) || a.terraformOnly) continue;
    const v = stripUnknown(value[a.name]);
    if (v !== undefined && v !== null) out[a.name] = v;
  }
  return dropTerraformOnly(spec.kind, out); // nested ones too (bmc.password_wo)
}

function stripUnknown(v: TfValue | undefined): unknown {
  if (v === undefined || v === null || isUnknown(v)) return undefined;
  if (Array.isArray(v)) return v.map(stripUnknown).filter((e) => e !== undefined);
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) {
      const s = stripUnknown(e);
      if (s !== undefined && s !== null) out[k] = s;
    }
    return out;
  }
  return v;
}
