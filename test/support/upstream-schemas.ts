/**
 * Validates manifests the way a real cluster would, against the upstream schemas vendored under
 * test/fixtures/upstream/ (see its SOURCES): CRD openAPIV3Schemas (KubeVirt, Rook, Flux, Metal3,
 * our ServerGroup), the Kubernetes core definitions (ResourceQuota, Secret, Namespace,
 * StorageClass, ObjectMeta) and,
 * for a vcluster HelmRelease, the chart's values.schema.json of the pinned chart version.
 *
 * The schemas are Kubernetes structural schemas, not plain JSON Schema; `structural` turns them
 * into what ajv checks with the apiserver's semantics:
 *  - an object schema with `properties` and no `additionalProperties` is closed (unknown fields are
 *    errors, as with `fieldValidation=Strict`), unless `x-kubernetes-preserve-unknown-fields`;
 *  - `x-kubernetes-int-or-string` accepts an integer or a string;
 *  - `nullable: true` accepts null (a null anywhere else is an error here; the apiserver would
 *    prune it, and a renderer has no business writing one);
 *  - `x-kubernetes-embedded-resource` allows apiVersion/kind/metadata;
 *  - `metadata` of every kind is checked against the core ObjectMeta definition (the apiserver
 *    decodes it into the Go struct, strictly);
 *  - `x-kubernetes-list-type: set` means unique items.
 * Not evaluated: CEL `x-kubernetes-validations` and `format`s (ajv has no CEL; formats are advisory).
 * Helm values are checked as Helm does: the chart defaults (values.yaml) coalesced with the
 * release's values, validated against values.schema.json (draft 2020-12).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { parse as parseYaml } from "yaml";

function repoDir(rel: string): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
  }
  throw new Error(`${rel} not found above ${__dirname}`);
}

export const UPSTREAM_DIR = repoDir("test/fixtures/upstream");
const upstream = (file: string): string => readFileSync(path.join(UPSTREAM_DIR, file), "utf8");

/** One entry of test/fixtures/upstream/SOURCES. */
export interface UpstreamSource {
  file: string;
  repo: string;
  tag: string;
  commit: string;
  path: string;
  upstream_sha256: string;
  extract: string;
  sha256: string;
}

export function upstreamSources(): UpstreamSource[] {
  return parseYaml(upstream("SOURCES")) as UpstreamSource[];
}

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(path.join(UPSTREAM_DIR, file))).digest("hex");
}

/** The vcluster chart versions vendored (and supported): from the files present in SOURCES. */
export function vclusterChartVersions(): string[] {
  return upstreamSources()
    .map((s) => /^vcluster-(.+)\.values\.schema\.json$/.exec(s.file)?.[1])
    .filter((v): v is string => v !== undefined);
}

type Schema = Record<string, unknown>;

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
/** resource.Quantity's canonical grammar (k8s.io/apimachinery/pkg/api/resource). */
const QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/** A Kubernetes structural (OpenAPI) schema node as ajv-checkable JSON Schema; see the header. */
export function structural(node: unknown, root = false): unknown {
  if (Array.isArray(node)) return node.map((n) => structural(n));
  if (!node || typeof node !== "object") return node;
  const s = node as Schema;
  if (typeof s.$ref === "string") {
    // Core definitions: Quantity accepts a JSON number too (the Go type unmarshals both).
    if (s.$ref === `#/definitions/${QUANTITY}`) return { anyOf: [{ type: "string", pattern: QUANTITY_PATTERN }, { type: "number" }] };
    return { $ref: s.$ref };
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "properties" || k === "patternProperties" || k === "definitions") {
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, sub]) => [p, structural(sub)]));
    } else if (k === "items" || k === "additionalProperties" || k === "not") {
      out[k] = typeof v === "boolean" ? v : structural(v);
    } else if (k === "allOf" || k === "anyOf" || k === "oneOf") {
      out[k] = (v as unknown[]).map((sub) => structural(sub));
    } else if (k === "description" || k === "example" || k === "format" || k.startsWith("x-")) {
      continue;
    } else if (k === "nullable") {
      continue;
    } else {
      out[k] = v;
    }
  }
  if (s["x-kubernetes-int-or-string"] === true) {
    // Upstream often spells it `anyOf: [{type: integer}, {type: string}]` itself; keep that.
    delete out.type;
    out.anyOf ??= [{ type: "integer" }, { type: "string" }];
  }
  if (s["x-kubernetes-embedded-resource"] === true) {
    // The apiserver decodes an embedded object's metadata as ObjectMeta, strictly.
    out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, ...((out.properties as Schema) ?? {}), metadata: { $ref: `#/definitions/${OBJECT_META}` } };
  }
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.properties && out.additionalProperties === undefined && !preserve) out.additionalProperties = false;
  if (s["x-kubernetes-list-type"] === "set") out.uniqueItems = true;
  if (s.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else if (Array.isArray(out.type)) out.type = [...out.type, "null"];
  }
  if (root) {
    const meta = { $ref: `#/definitions/${OBJECT_META}` };
    out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, ...((out.properties as Schema) ?? {}), metadata: meta };
    out.additionalProperties = false;
  }
  return out;
}

/** One violation in the apiserver's terms (a Status cause). */
export interface Violation {
  /** `spec.template.spec.domain.foo`, as the apiserver names fields. */
  field: string;
  reason: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueNotSupported" | "FieldValueTypeInvalid" | "FieldValueUnknown";
  message: string;
}

interface KindSchema {
  /** What the manifest is validated against, for docs and messages. */
  source: string;
  validate: ValidateFunction;
}

let coreDefs: Record<string, unknown> | undefined;
function coreDefinitions(): Record<string, unknown> {
  coreDefs ??= (structural(JSON.parse(upstream("kubernetes-v1.35.0-definitions.json"))) as { definitions: Record<string, unknown> }).definitions;
  return coreDefs;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

function crdValidator(schema: unknown, source: string): KindSchema {
  const s = structural(schema, true) as Schema;
  return { source, validate: ajv.compile({ ...s, definitions: coreDefinitions() }) };
}

function coreValidator(definition: string, source: string): KindSchema {
  const defs = coreDefinitions();
  const s = { ...(defs[definition] as Schema), definitions: defs };
  return { source, validate: ajv.compile(s) };
}

function serverGroupCrd(): unknown {
  const crd = parseYaml(readFileSync(repoDir("deploy/crds/servergroups.inventory.otterscale.io.yaml"), "utf8")) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: unknown } }[] };
  };
  return crd.spec.versions.find((v) => v.name === "v1alpha1")!.schema.openAPIV3Schema;
}

const LOADERS: Readonly<Record<string, () => KindSchema>> = {
  "kubevirt.io/v1 VirtualMachine": () => crdValidator(JSON.parse(upstream("kubevirt-v1.9.0-virtualmachine.schema.json")), "kubevirt/kubevirt v1.9.0"),
  "ceph.rook.io/v1 CephBlockPool": () => crdValidator(JSON.parse(upstream("rook-v1.20.6-cephblockpool.schema.json")), "rook/rook v1.20.6"),
  "helm.toolkit.fluxcd.io/v2 HelmRelease": () => crdValidator(JSON.parse(upstream("flux-helm-controller-v1.6.3-helmrelease.schema.json")), "fluxcd/helm-controller v1.6.3"),
  "metal3.io/v1alpha1 BareMetalHost": () => crdValidator(JSON.parse(upstream("metal3-v0.13.2-baremetalhost.schema.json")), "metal3-io/baremetal-operator v0.13.2"),
  "inventory.otterscale.io/v1alpha1 ServerGroup": () => crdValidator(serverGroupCrd(), "deploy/crds/servergroups.inventory.otterscale.io.yaml"),
  "v1 ResourceQuota": () => coreValidator("io.k8s.api.core.v1.ResourceQuota", "kubernetes/kubernetes v1.35.0"),
  "storage.k8s.io/v1 StorageClass": () => coreValidator("io.k8s.api.storage.v1.StorageClass", "kubernetes/kubernetes v1.35.0"),
  "v1 Secret": () => coreValidator("io.k8s.api.core.v1.Secret", "kubernetes/kubernetes v1.35.0"),
  "v1 Namespace": () => coreValidator("io.k8s.api.core.v1.Namespace", "kubernetes/kubernetes v1.35.0"),
};

const loaded = new Map<string, KindSchema>();
function kindSchema(gvk: string): KindSchema | undefined {
  if (!loaded.has(gvk)) {
    const load = LOADERS[gvk];
    if (!load) return undefined;
    loaded.set(gvk, load());
  }
  return loaded.get(gvk);
}

/** Compiles every kind's validator now (the first compile of the big CRD schemas takes seconds). */
export function warmUpSchemas(): void {
  for (const gvk of Object.keys(LOADERS)) kindSchema(gvk);
  for (const v of vclusterChartVersions()) validateVclusterValues(v, {});
}

/** `apiVersion Kind` pairs that have a vendored schema. */
export function validatedKinds(): string[] {
  return Object.keys(LOADERS);
}

/** Where the schema for `apiVersion Kind` comes from (e.g. `rook/rook v1.20.6`). */
export function schemaSource(apiVersion: string, kind: string): string | undefined {
  return kindSchema(`${apiVersion} ${kind}`)?.source;
}

/** ajv's instancePath `/spec/template/0/x` -> `spec.template[0].x`. */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

function violationsOf(errors: readonly ErrorObject[] | null | undefined, prefix = ""): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let v: Violation;
    const at = (extra?: string) => {
      const f = fieldPath(e.instancePath, extra);
      return prefix ? (f ? `${prefix}.${f}` : prefix) : f;
    };
    switch (e.keyword) {
      case "additionalProperties": {
        const name = String((e.params as { additionalProperty: string }).additionalProperty);
        v = { field: at(name), reason: "FieldValueUnknown", message: "field not declared in schema" };
        break;
      }
      case "required": {
        const name = String((e.params as { missingProperty: string }).missingProperty);
        v = { field: at(name), reason: "FieldValueRequired", message: "Required value" };
        break;
      }
      case "enum":
        v = { field: at(), reason: "FieldValueNotSupported", message: `Unsupported value: supported values: ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}` };
        break;
      case "type":
        v = { field: at(), reason: "FieldValueTypeInvalid", message: `Invalid value: must be of type ${String((e.params as { type: unknown }).type)}` };
        break;
      case "anyOf":
      case "oneOf":
        // The branch errors say more; keep them and skip the summary.
        continue;
      default:
        v = { field: at(), reason: "FieldValueInvalid", message: `Invalid value: ${e.message ?? e.keyword}` };
    }
    const key = `${v.field}|${v.reason}|${v.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(v);
    }
  }
  return out;
}

/** Helm's coalesce: `over` wins; maps merge recursively; anything else replaces. */
export function coalesce(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  const isMap = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x);
  if (!isMap(base) || !isMap(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = coalesce(base[k], v);
  return out;
}

const chartValidators = new Map<string, ValidateFunction>();
/** The chart's values.yaml coalesced with `values` (what the chart's templates see). */
export function vclusterEffectiveValues(version: string, values: unknown): Record<string, unknown> {
  const defaults = parseYaml(upstream(`vcluster-${version}.values.yaml`)) as Record<string, unknown>;
  return coalesce(defaults, values ?? {}) as Record<string, unknown>;
}

/** Helm's check of a vcluster release's values at chart `version`. */
export function validateVclusterValues(version: string, values: unknown): Violation[] {
  if (!vclusterChartVersions().includes(version)) {
    return [{ field: "spec.chart.spec.version", reason: "FieldValueNotSupported", message: `no vendored vcluster chart ${version}` }];
  }
  let v = chartValidators.get(version);
  if (!v) {
    // One ajv per chart version: every version's schema has the same $id.
    v = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(JSON.parse(upstream(`vcluster-${version}.values.schema.json`)) as object);
    chartValidators.set(version, v);
  }
  if (v(vclusterEffectiveValues(version, values))) return [];
  return violationsOf(v.errors, "spec.values");
}

/** A validator for one CRD-style openAPIV3Schema (the semantics above), for tests of the semantics. */
export function structuralValidator(openAPIV3Schema: unknown): (obj: unknown) => Violation[] {
  const k = crdValidator(openAPIV3Schema, "test");
  return (obj) => (k.validate(obj) ? [] : violationsOf(k.validate.errors));
}

/** True when `apiVersion Kind` has a vendored schema. */
export function hasSchema(apiVersion: string, kind: string): boolean {
  return LOADERS[`${apiVersion} ${kind}`] !== undefined;
}

/**
 * What the apiserver checks: violations of `obj` against its kind's vendored schema, [] when
 * valid. An `apiVersion Kind` without a vendored schema is itself a violation.
 */
export function validateApiObject(obj: unknown): Violation[] {
  const o = obj as { apiVersion?: unknown; kind?: unknown };
  const gvk = `${String(o?.apiVersion)} ${String(o?.kind)}`;
  const k = kindSchema(gvk);
  if (!k) return [{ field: "kind", reason: "FieldValueNotSupported", message: `no vendored schema for ${gvk}` }];
  return k.validate(obj) ? [] : violationsOf(k.validate.errors);
}

/**
 * What Helm checks when Flux installs a HelmRelease of the vcluster chart: the version is pinned
 * and the values fit that version's values.schema.json. [] for any other object.
 */
export function validateHelmValues(obj: unknown): Violation[] {
  const o = obj as { apiVersion?: unknown; kind?: unknown; spec?: { chart?: { spec?: { chart?: unknown; version?: unknown } }; values?: unknown } };
  if (o?.apiVersion !== "helm.toolkit.fluxcd.io/v2" || o.kind !== "HelmRelease" || o.spec?.chart?.spec?.chart !== "vcluster") return [];
  const version = o.spec.chart.spec.version;
  if (typeof version !== "string") return [{ field: "spec.chart.spec.version", reason: "FieldValueRequired", message: "Required value: the vcluster chart version must be pinned" }];
  return validateVclusterValues(version, o.spec.values);
}

/** Everything a cluster would refuse: the apiserver's schema check, then Helm's values check. */
export function validateManifest(obj: unknown): Violation[] {
  return [...validateApiObject(obj), ...validateHelmValues(obj)];
}

/** A one-line summary for assertion messages. */
export function describeViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `${v.field}: ${v.message}`).join("; ");
}
