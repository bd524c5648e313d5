/**
 * A small Kubernetes API server for tests (HTTPS on 127.0.0.1 with a fresh self-signed
 * certificate that the written kubeconfig trusts), enforcing the semantics the kubernetes adapter
 * relies on:
 *  - discovery (/api, /apis, /api/v1, /apis/<group>/<version>) for the kinds the adapter uses;
 *  - bearer-token authentication (401 Status otherwise);
 *  - server-side apply: PATCH needs `Content-Type: application/apply-patch+yaml` (415 otherwise)
 *    and a `fieldManager` (422 otherwise); it upserts, and a different manager without
 *    `force=true` gets 409 Conflict;
 *  - resourceVersion (global counter), metadata.uid and metadata.generation (bumped on spec
 *    changes); a write carrying a stale resourceVersion gets 409 Conflict;
 *  - 404 for missing objects, kinds that are not installed, and writes into namespaces that do
 *    not exist;
 *  - 422 for invalid objects (missing/non-DNS-1123 name, invalid labels), 400 for a body that
 *    does not match the URL;
 *  - the upstream schemas (test/support/upstream-schemas.ts, vendored under
 *    test/fixtures/upstream/) for every kind that has one, as with `fieldValidation=Strict`:
 *    unknown fields are 400 BadRequest (`.spec.x: field not declared in schema`, as server-side
 *    apply answers), other schema violations 422 Invalid with one Status cause per field. This is
 *    stricter than a real server for non-apply writes without `fieldValidation` (default Warn);
 *  - a vcluster HelmRelease whose values do not fit its pinned chart's values.schema.json is
 *    stored (the apiserver does not read values) but never gets ready: Ready=False
 *    InstallFailed with Helm's message, as Flux reports it;
 *  - operators: status turns Ready after a delay (VM printableStatus Running/Stopped by
 *    runStrategy, CephBlockPool phase Ready, HelmRelease Ready condition), with observedGeneration;
 *    ResourceQuota status at once;
 *  - foreground deletion: deletionTimestamp + `foregroundDeletion` finalizer, gone after a delay;
 *  - fault injection: 5xx or 409 Conflict for the next N matching requests.
 * Every error body is a `v1 Status`.
 */
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import type * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml, stringify } from "yaml";
import { selfSignedCert, type SelfSignedCert } from "../../provider/src/terraform/cert";
import { hasSchema, validateApiObject, validateHelmValues, warmUpSchemas } from "./upstream-schemas";

interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const TYPES: readonly ResourceType[] = [
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { group: "", version: "v1", kind: "ResourceQuota", plural: "resourcequotas", namespaced: true },
  { group: "kubevirt.io", version: "v1", kind: "VirtualMachine", plural: "virtualmachines", namespaced: true },
  { group: "ceph.rook.io", version: "v1", kind: "CephBlockPool", plural: "cephblockpools", namespaced: true },
  { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease", plural: "helmreleases", namespaced: true },
  { group: "metal3.io", version: "v1alpha1", kind: "BareMetalHost", plural: "baremetalhosts", namespaced: true },
  { group: "inventory.otterscale.io", version: "v1alpha1", kind: "ServerGroup", plural: "servergroups", namespaced: true },
  { group: "storage.k8s.io", version: "v1", kind: "StorageClass", plural: "storageclasses", namespaced: false },
];

const gv = (t: { group: string; version: string }) => (t.group ? `${t.group}/${t.version}` : t.version);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

interface Stored {
  obj: Obj;
  type: ResourceType;
  manager: string;
  readyAt?: number;
  deleteAt?: number;
}

export interface FakeKubeOptions {
  /** Delay before an operator reports an object ready (ms). Default 40. */
  readyDelayMs?: number;
  /** Delay before a foreground deletion completes (ms). Default 40. */
  deleteDelayMs?: number;
  /** Manifest kinds whose operator never reports ready. */
  neverReady?: Set<string>;
  /** Kinds whose CRD is "not installed" (absent from discovery, 404 on use). */
  notInstalled?: Set<string>;
  /** Bearer token every request must carry. Default a random one. */
  token?: string;
  /** Namespaces that exist from the start. */
  namespaces?: string[];
}

interface Fault {
  remaining: number;
  status: number;
  method?: string;
  path?: RegExp;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly contentType?: string;
  readonly status: number;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function statusBody(e: HttpError): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: e.message, reason: e.reason, details: e.details, code: e.code };
}

export class FakeKubeApiServer {
  readonly options: Required<FakeKubeOptions>;
  readonly requests: LoggedRequest[] = [];
  private readonly store = new Map<string, Stored>();
  private readonly faults: Fault[] = [];
  private server?: https.Server;
  private readonly cert: SelfSignedCert = selfSignedCert();
  private rv = 100;
  port = 0;

  constructor(options: FakeKubeOptions = {}) {
    this.options = {
      readyDelayMs: options.readyDelayMs ?? 40,
      deleteDelayMs: options.deleteDelayMs ?? 40,
      neverReady: options.neverReady ?? new Set(),
      notInstalled: options.notInstalled ?? new Set(),
      token: options.token ?? `fake-token-${randomUUID()}`,
      namespaces: options.namespaces ?? ["default", "kube-system", "rook-ceph", "flux-system"],
    };
    for (const ns of this.options.namespaces) this.put(this.type("v1", "Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }, "test");
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    // Compiled once per process, before serving: a first request must not be seconds slower
    // than the next (tests time readiness in tens of milliseconds).
    warmUpSchemas();
    this.server = https.createServer({ cert: this.cert.certPem, key: this.cert.keyPem }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening (open connections are cut): the cluster is "down". */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** A kubeconfig for this server (context `fake`, plus a context `other` pointing nowhere). */
  async writeKubeconfig(dir: string, file = "kubeconfig"): Promise<string> {
    const p = path.join(dir, file);
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "fake",
          // The certificate names `localhost`; the server listens on 127.0.0.1 (no resolver involved).
          cluster: { server: this.url, "certificate-authority-data": Buffer.from(this.cert.certPem).toString("base64"), "tls-server-name": "localhost" },
        },
        { name: "nowhere", cluster: { server: "https://127.0.0.1:9", "insecure-skip-tls-verify": true } },
      ],
      users: [{ name: "tester", user: { token: this.options.token } }],
      contexts: [
        { name: "fake", context: { cluster: "fake", user: "tester" } },
        { name: "other", context: { cluster: "nowhere", user: "tester" } },
      ],
      "current-context": "fake",
    };
    await fs.writeFile(p, stringify(config), { mode: 0o600 });
    return p;
  }

  // ------------------------------------------------------------------ test controls

  /** The next `count` requests matching get `status` (5xx as InternalError/ServiceUnavailable, 409 as Conflict). */
  failNext(count: number, status: number, match: { method?: string; path?: RegExp } = {}): void {
    this.faults.push({ remaining: count, status, ...match });
  }

  /** Stored object (status advanced to now), or undefined. */
  object(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const t = this.typeByKind(apiVersion, kind);
    const s = this.store.get(this.keyOf(t, namespace, name));
    if (!s) return undefined;
    this.tick(s);
    return this.store.has(this.keyOf(t, namespace, name)) ? structuredClone(s.obj) : undefined;
  }

  /** Objects of a kind (status advanced), sorted by namespace/name. */
  objects(apiVersion: string, kind: string): Obj[] {
    const t = this.typeByKind(apiVersion, kind);
    return [...this.store.values()]
      .filter((s) => s.type === t)
      .map((s) => (this.tick(s), s))
      .filter((s) => this.store.has(this.keyOf(t, s.obj.metadata.namespace as string | undefined, String(s.obj.metadata.name))))
      .map((s) => structuredClone(s.obj))
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }

  /** A hand edit by another actor (`kubectl edit`): bumps resourceVersion and, for spec changes, generation. */
  edit(apiVersion: string, kind: string, namespace: string | undefined, name: string, mutate: (o: Obj) => void): void {
    const t = this.typeByKind(apiVersion, kind);
    const s = this.store.get(this.keyOf(t, namespace, name));
    if (!s) throw new Error(`fake: no ${kind} ${namespace}/${name}`);
    const before = structuredClone(s.obj);
    mutate(s.obj);
    if (!isDeepStrictEqual(specOf(before), specOf(s.obj))) s.obj.metadata.generation = Number(s.obj.metadata.generation ?? 1) + 1;
    s.obj.metadata.resourceVersion = String(++this.rv);
  }

  /** Deletes at once, behind the adapter's back. */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    this.store.delete(this.keyOf(this.typeByKind(apiVersion, kind), namespace, name));
  }

  // ------------------------------------------------------------------ internals

  private type(groupVersion: string, kindOrPlural: string): ResourceType | undefined {
    return TYPES.find((t) => gv(t) === groupVersion && (t.plural === kindOrPlural || t.kind === kindOrPlural) && !this.options.notInstalled.has(t.kind));
  }

  private typeByKind(apiVersion: string, kind: string): ResourceType {
    const t = TYPES.find((x) => gv(x) === apiVersion && x.kind === kind);
    if (!t) throw new Error(`fake: unknown ${apiVersion} ${kind}`);
    return t;
  }

  private keyOf(t: ResourceType, namespace: string | undefined, name: string): string {
    return `${t.plural}.${t.group}/${t.namespaced ? (namespace ?? "") : ""}/${name}`;
  }

  private put(t: ResourceType, body: Obj, manager: string): Stored {
    const meta = body.metadata;
    const obj: Obj = {
      ...body,
      metadata: {
        ...meta,
        uid: randomUUID(),
        resourceVersion: String(++this.rv),
        generation: 1,
        creationTimestamp: new Date().toISOString(),
        managedFields: [{ manager, operation: "Apply", apiVersion: gv(t) }],
      },
    };
    const s: Stored = { obj, type: t, manager };
    this.store.set(this.keyOf(t, meta.namespace as string | undefined, String(meta.name)), s);
    this.progress(s);
    return s;
  }

  /** The operator starts working on the current generation. */
  private progress(s: Stored): void {
    const o = s.obj;
    switch (s.type.kind) {
      case "VirtualMachine":
        o.status = { ...(o.status as object), printableStatus: "Provisioning" };
        break;
      case "CephBlockPool":
        o.status = { ...(o.status as object), phase: "Progressing" };
        break;
      case "HelmRelease":
        o.status = { ...(o.status as object), conditions: [{ type: "Ready", status: "Unknown", reason: "Progressing", message: "Reconciliation in progress" }] };
        break;
      case "ResourceQuota":
        o.status = { hard: structuredClone((o.spec as { hard?: unknown })?.hard ?? {}), used: {} };
        return;
      default:
        return;
    }
    s.readyAt = Date.now() + this.options.readyDelayMs;
  }

  /** Advances time-driven state: readiness, completed deletions. */
  private tick(s: Stored): void {
    const now = Date.now();
    const o = s.obj;
    if (s.deleteAt !== undefined && now >= s.deleteAt) {
      this.store.delete(this.keyOf(s.type, o.metadata.namespace as string | undefined, String(o.metadata.name)));
      return;
    }
    if (s.readyAt === undefined || now < s.readyAt || this.options.neverReady.has(s.type.kind)) return;
    s.readyAt = undefined;
    const generation = o.metadata.generation;
    switch (s.type.kind) {
      case "VirtualMachine": {
        const halted = (o.spec as { runStrategy?: string })?.runStrategy === "Halted";
        o.status = { printableStatus: halted ? "Stopped" : "Running", ready: !halted, observedGeneration: generation };
        break;
      }
      case "CephBlockPool":
        o.status = { phase: "Ready", observedGeneration: generation };
        break;
      case "HelmRelease": {
        // What Helm would refuse after the apiserver accepted the object: values off the chart's schema.
        const helm = validateHelmValues(o);
        const chart = (o.spec as { chart?: { spec?: { chart?: string; version?: string } } })?.chart?.spec;
        o.status = {
          observedGeneration: generation,
          conditions: [
            helm.length
              ? {
                  type: "Ready",
                  status: "False",
                  reason: "InstallFailed",
                  message: `Helm install failed for release ${String(o.metadata.namespace)}/${String(o.metadata.name)} with chart ${chart?.chart}@${chart?.version}: values don't meet the specifications of the schema(s) in the following chart(s):\n${chart?.chart}:\n${helm.map((v) => `- ${v.field.replace(/^spec\.values\.?/, "")}: ${v.message}`).join("\n")}`,
                  observedGeneration: generation,
                }
              : { type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded", observedGeneration: generation },
          ],
        };
        break;
      }
    }
    o.metadata.resourceVersion = String(++this.rv);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(u.searchParams.entries());
    const method = req.method ?? "GET";
    const contentType = req.headers["content-type"]?.split(";")[0].trim();
    const send = (status: number, body: unknown) => {
      this.requests.push({ method, path: u.pathname, query, contentType, status });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString("utf8");
      if (req.headers.authorization !== `Bearer ${this.options.token}`) throw new HttpError(401, "Unauthorized", "Unauthorized");
      const fault = this.faults.find((f) => f.remaining > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(u.pathname)));
      if (fault) {
        fault.remaining--;
        if (fault.status === 409) throw new HttpError(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again");
        if (fault.status === 403) throw new HttpError(403, "Forbidden", `User "system:serviceaccount:otterscale:iac" cannot ${method.toLowerCase()} this resource`);
        throw new HttpError(fault.status, fault.status === 503 ? "ServiceUnavailable" : "InternalError", "injected failure (etcdserver: request timed out)");
      }
      const [status, body] = this.route(method, u.pathname, query, contentType, raw);
      send(status, body);
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, "InternalError", (e as Error).message);
      send(err.code, statusBody(err));
    }
  }

  private route(method: string, pathname: string, query: Record<string, string>, contentType: string | undefined, raw: string): [number, unknown] {
    if (method === "GET" && pathname === "/api") return [200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] }];
    if (method === "GET" && pathname === "/apis") {
      const groups = [...new Set(TYPES.filter((t) => t.group && !this.options.notInstalled.has(t.kind)).map((t) => gv(t)))].map((g) => {
        const [name, version] = g.split("/");
        return { name, versions: [{ groupVersion: g, version }], preferredVersion: { groupVersion: g, version } };
      });
      return [200, { kind: "APIGroupList", apiVersion: "v1", groups }];
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(\/.*)?$/.exec(pathname);
    if (!m) throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    const groupVersion = m[1] ?? `${m[2]}/${m[3]}`;
    const segs = (m[4] ?? "").split("/").filter(Boolean);
    if (segs.length === 0) {
      if (method !== "GET") throw new HttpError(405, "MethodNotAllowed", "method not allowed");
      const resources = TYPES.filter((t) => gv(t) === groupVersion && !this.options.notInstalled.has(t.kind)).map((t) => ({
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ["create", "delete", "get", "list", "patch", "update"],
      }));
      if (!resources.length) throw new HttpError(404, "NotFound", "the server could not find the requested resource");
      return [200, { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources }];
    }
    let namespace: string | undefined;
    let plural: string;
    let name: string | undefined;
    if (segs[0] === "namespaces" && segs.length >= 3) [, namespace, plural, name] = segs;
    else [plural, name] = segs;
    const t = this.type(groupVersion, plural);
    if (!t) throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    if (name === undefined) {
      if (method === "GET") return [200, this.list(t, namespace, query.labelSelector)];
      if (method === "POST") return this.create(t, namespace, raw, contentType);
      throw new HttpError(405, "MethodNotAllowed", `${method} is not supported on a collection`);
    }
    if (t.namespaced && namespace === undefined) throw new HttpError(404, "NotFound", "the server could not find the requested resource");
    const key = this.keyOf(t, namespace, name);
    const stored = this.store.get(key);
    if (stored) this.tick(stored);
    const current = this.store.get(key);
    const notFound = () => new HttpError(404, "NotFound", `${t.plural}${t.group ? `.${t.group}` : ""} "${name}" not found`, { name, group: t.group, kind: t.plural });
    switch (method) {
      case "GET":
        if (!current) throw notFound();
        return [200, current.obj];
      case "PATCH":
        return this.apply(t, namespace, name, current, query, contentType, raw);
      case "PUT": {
        if (!current) throw notFound();
        const body = this.parseBody(raw, contentType, t, namespace, name);
        this.checkSchema(body, t);
        this.checkVersion(t, name, current, body);
        return [200, this.update(current, body, "update")];
      }
      case "DELETE":
        if (!current) throw notFound();
        return [200, this.delete(current, key, query.propagationPolicy)];
      default:
        throw new HttpError(405, "MethodNotAllowed", `${method} is not supported`);
    }
  }

  private requireNamespace(namespace: string): void {
    const ns = this.store.get(this.keyOf(TYPES[0], undefined, namespace));
    if (ns) this.tick(ns);
    if (!this.store.has(this.keyOf(TYPES[0], undefined, namespace))) {
      throw new HttpError(404, "NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" });
    }
  }

  private list(t: ResourceType, namespace: string | undefined, selector: string | undefined): unknown {
    const wanted = (selector ?? "").split(",").filter(Boolean).map((r) => r.split("="));
    const items: Obj[] = [];
    for (const s of [...this.store.values()]) {
      if (s.type !== t) continue;
      this.tick(s);
      const o = s.obj;
      if (!this.store.has(this.keyOf(t, o.metadata.namespace as string | undefined, String(o.metadata.name)))) continue;
      if (namespace !== undefined && o.metadata.namespace !== namespace) continue;
      const labels = (o.metadata.labels ?? {}) as Record<string, string>;
      if (!wanted.every(([k, v]) => (v === undefined ? k in labels : labels[k] === v))) continue;
      items.push(o);
    }
    return { apiVersion: gv(t), kind: `${t.kind}List`, metadata: { resourceVersion: String(this.rv) }, items };
  }

  /** Parses and validates a write body against the URL (400) and object rules (422). */
  private parseBody(raw: string, contentType: string | undefined, t: ResourceType, namespace: string | undefined, urlName: string | undefined): Obj {
    let body: unknown;
    try {
      body = contentType === "application/apply-patch+yaml" ? parseYaml(raw) : JSON.parse(raw);
    } catch {
      throw new HttpError(400, "BadRequest", "the body could not be decoded");
    }
    const o = body as Obj;
    if (!o || typeof o !== "object" || !o.metadata || typeof o.metadata !== "object") {
      throw new HttpError(422, "Invalid", `${t.kind} is invalid: metadata: Required value`);
    }
    if (o.apiVersion !== gv(t) || o.kind !== t.kind) {
      throw new HttpError(400, "BadRequest", `the API version/kind in the body (${String(o.apiVersion)} ${String(o.kind)}) does not match the URL (${gv(t)} ${t.kind})`);
    }
    const name = o.metadata.name;
    if (typeof name !== "string" || name === "") throw new HttpError(422, "Invalid", `${t.kind} "" is invalid: metadata.name: Required value: name is required`);
    const rule = t.kind === "Namespace" ? DNS_LABEL : DNS_SUBDOMAIN;
    if (name.length > (t.kind === "Namespace" ? 63 : 253) || !rule.test(name)) {
      throw new HttpError(422, "Invalid", `${t.kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 ${t.kind === "Namespace" ? "label" : "subdomain"} must consist of lower case alphanumeric characters, '-' or '.'`, { name, kind: t.plural });
    }
    if (urlName !== undefined && name !== urlName) throw new HttpError(400, "BadRequest", `the name of the object (${name}) does not match the name on the URL (${urlName})`);
    if (t.namespaced && o.metadata.namespace !== undefined && o.metadata.namespace !== namespace) {
      throw new HttpError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    }
    for (const [k, v] of Object.entries((o.metadata.labels ?? {}) as Record<string, unknown>)) {
      if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
        throw new HttpError(422, "Invalid", `${t.kind} "${name}" is invalid: metadata.labels: Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (label ${k})`);
      }
    }
    this.checkUnknownFields(o, t, namespace, name, contentType === "application/apply-patch+yaml");
    const out: Obj = { ...o, metadata: { ...o.metadata, ...(t.namespaced ? { namespace } : {}) } };
    if (t.kind === "Secret" && out.stringData && typeof out.stringData === "object") {
      // As the real API server does: stringData is write-only, merged into base64 `data`.
      const data = { ...((out.data ?? {}) as Record<string, string>) };
      for (const [k, v] of Object.entries(out.stringData as Record<string, string>)) data[k] = Buffer.from(String(v)).toString("base64");
      delete out.stringData;
      out.data = data;
    }
    return out;
  }

  /** Decoding, strict (see the header): a field the kind's vendored schema does not declare is a 400. */
  private checkUnknownFields(o: Obj, t: ResourceType, namespace: string | undefined, name: string, apply: boolean): void {
    if (!hasSchema(gv(t), t.kind)) return;
    const { status: _status, ...body } = o;
    const unknown = validateApiObject(body).filter((v) => v.reason === "FieldValueUnknown");
    if (!unknown.length) return;
    const where = `${namespace ? `${namespace}/` : ""}${name}; ${gv(t)}, Kind=${t.kind}`;
    throw new HttpError(
      400,
      "BadRequest",
      apply
        ? `failed to create typed patch object (${where}): ${unknown.map((v) => `.${v.field}: field not declared in schema`).join(", ")}`
        : `strict decoding error: ${unknown.map((v) => `unknown field "${v.field}"`).join(", ")}`,
    );
  }

  /** Validation, after admission (the namespace check): 422 Invalid with one cause per field. */
  private checkSchema(o: Obj, t: ResourceType): void {
    if (!hasSchema(gv(t), t.kind)) return;
    const { status: _status, ...body } = o;
    const violations = validateApiObject(body);
    if (!violations.length) return;
    const name = String(o.metadata.name);
    const qualified = t.group ? `${t.kind}.${t.group}` : t.kind;
    const list = violations.map((v) => `${v.field}: ${v.message}`);
    throw new HttpError(422, "Invalid", `${qualified} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(", ")}]`}`, {
      name,
      group: t.group,
      kind: t.kind,
      causes: violations.map((v) => ({ reason: v.reason, message: v.message, field: v.field })),
    });
  }

  private checkVersion(t: ResourceType, name: string, current: Stored, body: Obj): void {
    const rv = body.metadata.resourceVersion;
    if (rv !== undefined && rv !== current.obj.metadata.resourceVersion) {
      throw new HttpError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${t.plural}${t.group ? `.${t.group}` : ""} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: t.group, kind: t.plural },
      );
    }
  }

  private create(t: ResourceType, namespace: string | undefined, raw: string, contentType: string | undefined): [number, unknown] {
    const body = this.parseBody(raw, contentType, t, namespace, undefined);
    if (t.namespaced) this.requireNamespace(namespace!);
    this.checkSchema(body, t);
    const name = String(body.metadata.name);
    if (this.store.has(this.keyOf(t, namespace, name))) throw new HttpError(409, "AlreadyExists", `${t.plural} "${name}" already exists`);
    const { status: _ignored, ...rest } = body;
    return [201, this.put(t, rest as Obj, "create").obj];
  }

  private apply(t: ResourceType, namespace: string | undefined, name: string, current: Stored | undefined, query: Record<string, string>, contentType: string | undefined, raw: string): [number, unknown] {
    if (contentType !== "application/apply-patch+yaml") {
      throw new HttpError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (got ${contentType ?? "none"})`);
    }
    const manager = query.fieldManager;
    if (!manager) throw new HttpError(422, "Invalid", `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`);
    const body = this.parseBody(raw, contentType, t, namespace, name);
    // Like the NamespaceLifecycle admission plugin: after decoding, before storage.
    if (t.namespaced) this.requireNamespace(namespace!);
    this.checkSchema(body, t);
    const { status: _ignored, ...rest } = body;
    if (!current) return [201, this.put(t, rest as Obj, manager).obj];
    this.checkVersion(t, name, current, body);
    if (current.manager !== manager && query.force !== "true") {
      throw new HttpError(409, "Conflict", `Apply failed with 1 conflict: conflict with "${current.manager}": .spec`, { name, group: t.group, kind: t.plural });
    }
    current.manager = manager;
    return [200, this.update(current, rest as Obj, "apply")];
  }

  /** Replaces labels, annotations and everything outside metadata/status (sole-manager apply). */
  private update(s: Stored, body: Obj, _op: string): Obj {
    const before = specOf(s.obj);
    const { metadata, status: _status, ...content } = body;
    const old = s.obj;
    const next: Obj = {
      ...content,
      metadata: { ...old.metadata, labels: metadata.labels, annotations: metadata.annotations, resourceVersion: String(++this.rv) },
      ...(old.status !== undefined ? { status: old.status } : {}),
    };
    if (next.metadata.labels === undefined) delete next.metadata.labels;
    if (next.metadata.annotations === undefined) delete next.metadata.annotations;
    s.obj = next;
    if (!isDeepStrictEqual(before, specOf(next))) {
      next.metadata.generation = Number(old.metadata.generation ?? 1) + 1;
      this.progress(s);
    }
    return next;
  }

  private delete(s: Stored, key: string, policy: string | undefined): unknown {
    if (policy === "Foreground") {
      if (s.obj.metadata.deletionTimestamp === undefined) {
        s.obj.metadata.deletionTimestamp = new Date().toISOString();
        s.obj.metadata.finalizers = ["foregroundDeletion"];
        s.obj.metadata.resourceVersion = String(++this.rv);
        s.deleteAt = Date.now() + this.options.deleteDelayMs;
      }
      return s.obj;
    }
    this.store.delete(key);
    if (s.type.kind === "Namespace") {
      for (const [k, o] of [...this.store]) if (o.obj.metadata.namespace === s.obj.metadata.name) this.store.delete(k);
    }
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: s.obj.metadata.name, kind: s.type.plural, uid: s.obj.metadata.uid } };
  }
}

/** Everything but metadata and status: what bumps metadata.generation. */
function specOf(o: Obj): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/** Starts a fake API server. */
export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKubeApiServer> {
  return new FakeKubeApiServer(options).start();
}
