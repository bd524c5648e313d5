/**
 * The kubernetes adapter: the manifests the gitops adapter writes, server-side applied to a
 * cluster instead (one renderer, two sinks), then waited on until the owning operator reports
 * them ready. Reads go through the same `observeManifest` as gitops, so drift is computed the
 * same way; `status` comes from the live object's status.
 *
 * apply:  namespace (SSA, tenants' and inventory only) -> companion Secret(s) -> the manifest (SSA)
 *         -> poll until ready or the deadline. A create that fails after the object was written
 *         deletes it again, so a released reservation leaves nothing running.
 *         Objects attached to the manifest (an EC pool's metadata pool and StorageClass) are
 *         applied right after it, read with it and deleted after it.
 * delete: Foreground propagation, poll until 404, then the attached objects and companion Secrets.
 */
import { OtterscaleError } from "../../domain/errors";
import { RESOURCE_KINDS, type ResourceKind } from "../../catalog/catalog";
import { observeManifest, renderAttached, rendererFor, renderManifest } from "../render";
import { INVENTORY_NAMESPACE, LABEL, MANAGED_BY, type Manifest } from "../render/manifest";
import { pollUntil, waitDeadline } from "../retry";
import { beforeAnyWrite, type ControllerContext, type ControllerLocation, type Controllers, type DesiredObject, type KindController, type ObservedObject } from "../types";
import type { CallOptions, KubeClient, LiveObject } from "./client";
import { attachedRefsOf, belongsHere, companionRefsOf, companionsOf, describeRef, namespaceManifest, ownedNamespace, refOf, secretManifest, type ObjectRef } from "./objects";
import { readinessOf, statusOf } from "./readiness";

/** How long a failed create may spend removing what it wrote (its own deadline has passed). */
const CLEANUP_MS = 5_000;

/** Sensitive values a desired object carries (scrubbed from any error). */
function secretsOf(obj: DesiredObject): string[] {
  const s = obj.spec as { user_data?: unknown; bmc?: { password?: unknown } };
  return [s.user_data, s.bmc?.password].filter((v): v is string => typeof v === "string");
}

function opts(ctx: ControllerContext | undefined, secrets: readonly string[] = []): CallOptions {
  return { deadline: ctx?.deadline, signal: ctx?.signal, secrets };
}

export class KubernetesKindController implements KindController {
  constructor(
    private readonly client: KubeClient,
    private readonly kind: ResourceKind,
  ) {}

  async apply(obj: DesiredObject, ctx?: ControllerContext): Promise<ObservedObject> {
    if (obj.kind !== this.kind) {
      throw new OtterscaleError("controller_failed", `kubernetes: ${obj.kind} ${obj.key} sent to the ${this.kind} controller`);
    }
    const manifest = renderManifest(obj);
    const ref = refOf(this.kind, obj.key);
    const o = opts(ctx, secretsOf(obj));
    const existed =
      (await this.client.read(ref, o).catch((e: unknown) => {
        throw beforeAnyWrite(e);
      })) !== undefined;
    let written = false;
    try {
      await this.prepare(obj, manifest, o);
      const applied = await this.client.apply(manifest, o);
      written = true;
      // What is attached to it (an EC pool's metadata pool and StorageClass) right after it.
      const attached = [];
      for (const a of renderAttached(obj)) attached.push(await this.client.apply(a, o));
      const live = await this.waitReady(ref, applied, ctx);
      return { ...this.observe(obj.key, ref, live), attached };
    } catch (e) {
      if (written && !existed) await this.cleanup(obj.key);
      throw e;
    }
  }

  /** The namespace (when ours to create) and the Secrets the manifest references. */
  private async prepare(obj: DesiredObject, manifest: Manifest, o: CallOptions): Promise<void> {
    const ns = manifest.metadata.namespace;
    if (ownedNamespace(ns)) {
      const tenant = (obj.spec as { tenant?: unknown }).tenant;
      await this.client.apply(namespaceManifest(ns!, typeof tenant === "string" ? tenant : undefined), o);
    }
    for (const c of companionsOf(obj)) {
      if (c.data) await this.client.apply(secretManifest(c, manifest.metadata.name), o);
      else await this.client.delete(c.ref, "Background", o);
    }
  }

  private waitReady(ref: ObjectRef, applied: LiveObject, ctx?: ControllerContext): Promise<LiveObject> {
    let next: LiveObject | undefined = applied;
    return pollUntil(
      `${describeRef(ref)} to become ready`,
      async () => {
        const live = next ?? (await this.client.read(ref, opts(ctx)));
        next = undefined;
        if (!live) return { done: false, detail: "the object disappeared" };
        const r = readinessOf(this.kind, live);
        return r.ready ? { done: true, value: live } : { done: false, detail: r.detail };
      },
      { deadline: waitDeadline(ctx?.deadline), signal: ctx?.signal },
    );
  }

  /** Best effort: a create that failed after writing must not leave the object behind. */
  private async cleanup(key: string): Promise<void> {
    const deadline = Date.now() + CLEANUP_MS;
    try {
      await this.client.delete(refOf(this.kind, key), "Foreground", { deadline });
      for (const r of [...attachedRefsOf(this.kind, key), ...companionRefsOf(this.kind, key)]) await this.client.delete(r, "Background", { deadline });
    } catch {
      // The original error is what the caller needs; `list` still shows the object if this failed.
    }
  }

  private observe(key: string, ref: ObjectRef, live: LiveObject): ObservedObject {
    const parsed = observeManifest(this.kind, key, live, describeRef(ref));
    const terminating = (live.metadata as { deletionTimestamp?: unknown }).deletionTimestamp !== undefined;
    return { ...parsed, status: terminating ? "Terminating" : statusOf(this.kind, live, parsed.status) };
  }

  async get(key: string, ctx?: ControllerContext): Promise<ObservedObject | undefined> {
    const ref = refOf(this.kind, key);
    const live = await this.client.read(ref, opts(ctx));
    if (!live) return undefined;
    const attached = [];
    for (const r of attachedRefsOf(this.kind, key)) {
      const a = await this.client.read(r, opts(ctx));
      if (a) attached.push(a);
    }
    return { ...this.observe(key, ref, live), attached };
  }

  async delete(key: string, ctx?: ControllerContext): Promise<void> {
    const ref = refOf(this.kind, key);
    if (await this.client.delete(ref, "Foreground", opts(ctx))) {
      await pollUntil(
        `${describeRef(ref)} to be deleted`,
        async () => {
          const live = await this.client.read(ref, opts(ctx));
          const finalizers = (live?.metadata as { finalizers?: unknown } | undefined)?.finalizers;
          return live ? { done: false, detail: `still present${Array.isArray(finalizers) && finalizers.length ? `, finalizers: ${finalizers.join(", ")}` : ""}` } : { done: true, value: undefined };
        },
        { deadline: waitDeadline(ctx?.deadline), signal: ctx?.signal },
      );
    }
    for (const r of [...attachedRefsOf(this.kind, key), ...companionRefsOf(this.kind, key)]) await this.client.delete(r, "Background", opts(ctx));
  }

  /** The Secret the renderer names (a vCluster's `vc-<name>`, key `config`), decoded; undefined while absent. */
  async credentials(key: string, ctx?: ControllerContext): Promise<string | undefined> {
    const at = rendererFor(this.kind).credentialsSecret?.(key);
    if (!at) return undefined;
    const live = await this.client.read({ apiVersion: "v1", kind: "Secret", metadata: { namespace: at.namespace, name: at.name } }, opts(ctx));
    const value = (live as { data?: Record<string, unknown> } | undefined)?.data?.[at.key];
    return typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : undefined;
  }

  /** `list` already selects by the managed-by label. */
  listOwned(ctx?: ControllerContext): Promise<string[]> {
    return this.list(ctx);
  }

  async list(ctx?: ControllerContext): Promise<string[]> {
    const r = rendererFor(this.kind);
    const items = await this.client.list(r.apiVersion, r.manifestKind, `${LABEL.managedBy}=${MANAGED_BY}`, opts(ctx));
    const keys = new Set<string>();
    for (const item of items) {
      if (!belongsHere(this.kind, item.metadata?.namespace)) continue;
      try {
        const key = r.parse(item).key;
        refOf(this.kind, key); // only well-formed keys (a hand-made object may carry odd labels)
        keys.add(key);
      } catch {
        // not one of ours in shape; ignore
      }
    }
    return [...keys].sort();
  }
}

/** ConfigMap in the inventory namespace naming the ledger whose objects the cluster holds. */
export const LEDGER_MARKER = "otterscale-ledger";

/**
 * The cluster's ownership marker: a ConfigMap `otterscale-ledger` in the inventory namespace
 * (its own object, so no later server-side apply of the namespace can drop it). Empty = no object
 * of any kind carries the managed-by label (a mistyped context points at another cluster).
 */
class KubernetesLocation implements ControllerLocation {
  constructor(
    readonly label: string,
    private readonly client: KubeClient,
    private readonly kinds: readonly KubernetesKindController[],
  ) {}

  private readonly ref: ObjectRef = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: LEDGER_MARKER, namespace: INVENTORY_NAMESPACE } };

  async owner(): Promise<string | undefined> {
    const cm = await this.client.read(this.ref);
    const id = (cm as { data?: Record<string, string> } | undefined)?.data?.ledger_id;
    return id || undefined;
  }

  async isEmpty(): Promise<boolean> {
    for (const k of this.kinds) if ((await k.list()).length) return false;
    return true;
  }

  async claim(ledgerId: string): Promise<void> {
    await this.client.apply(namespaceManifest(INVENTORY_NAMESPACE));
    await this.client.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: LEDGER_MARKER, namespace: INVENTORY_NAMESPACE, labels: { [LABEL.managedBy]: MANAGED_BY } },
      data: { ledger_id: ledgerId },
    } as Manifest);
  }
}

/** Every kind, served by one cluster. */
export class KubernetesControllers implements Controllers {
  private readonly byKind: ReadonlyMap<ResourceKind, KubernetesKindController>;
  readonly location: ControllerLocation;

  constructor(
    readonly url: string,
    readonly client: KubeClient,
  ) {
    this.byKind = new Map(RESOURCE_KINDS.map((k) => [k, new KubernetesKindController(client, k)]));
    this.location = new KubernetesLocation(url, client, [...this.byKind.values()]);
  }

  forKind(kind: ResourceKind): KindController {
    const c = this.byKind.get(kind);
    if (!c) throw new OtterscaleError("config", `the kubernetes controller does not serve kind "${String(kind)}"`);
    return c;
  }
}
