/**
 * The few API calls the adapter makes, over `KubernetesObjectApi`: server-side apply (field
 * manager `otterscale-iac`, force), read (404 = undefined), delete with a propagation policy
 * (404 = already gone) and list by label. Every call is bounded (per-request timeout, deadline),
 * retried when transient and translated into an OtterscaleError that names the object.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { KubeConfig, KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import type { Manifest } from "../render/manifest";
import { retrying, type Backoff } from "../retry";
import { clientLibrary } from "./config";
import { apiFailureOf, isDiscoveryFailure, isTransient, translate } from "./errors";
import { describeRef, type ObjectRef } from "./objects";

export const FIELD_MANAGER = "otterscale-iac";
/** No single request may hang longer than this, whatever the deadline. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The deadline of the call in progress, seen by the request middleware (calls run concurrently). */
const callDeadline = new AsyncLocalStorage<number | undefined>();

function requestTimeout(): number {
  const deadline = callDeadline.getStore();
  const left = deadline === undefined ? REQUEST_TIMEOUT_MS : deadline - Date.now();
  return Math.max(1_000, Math.min(REQUEST_TIMEOUT_MS, left));
}

/** The client's middleware contract wants an object with toPromise() (its own rxjs stand-in). */
const settled = <T>(v: T) => ({ toPromise: () => Promise.resolve(v) });

export interface CallOptions {
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  /** Sensitive values this call carries; scrubbed from any error message. */
  readonly secrets?: readonly string[];
}

/** A live object as plain JSON (no client model classes, no Date objects). */
export type LiveObject = Manifest & { status?: unknown };

export class KubeClient {
  private readonly api: KubernetesObjectApi;
  /** API server URL, for connection error messages. */
  readonly server: string;

  constructor(
    kc: KubeConfig,
    private readonly retry?: Backoff,
  ) {
    const k8s = clientLibrary();
    this.server = kc.getCurrentCluster()?.server ?? "(unknown server)";
    this.api = kc.makeApiClient(k8s.KubernetesObjectApi);
    // Bound every request: an API server that accepts the connection and never answers must
    // not hold an operation past its deadline. (The client offers no per-call signal.)
    const configuration = (this.api as unknown as { configuration: { middleware: unknown[] } }).configuration;
    configuration.middleware.push({
      pre: (ctx: { setSignal(s: AbortSignal): void }) => {
        ctx.setSignal(AbortSignal.timeout(requestTimeout()));
        return settled(ctx);
      },
      post: (rsp: unknown) => settled(rsp),
    });
  }

  private async call<T>(what: string, op: () => Promise<T>, opts: CallOptions): Promise<T> {
    try {
      return await retrying(
        () => callDeadline.run(opts.deadline, op),
        isTransient,
        { deadline: opts.deadline, signal: opts.signal, backoff: this.retry },
      );
    } catch (e) {
      throw translate(e, what, this.server, opts.secrets);
    }
  }

  /** Server-side apply of `manifest`; returns the object as stored. */
  async apply(manifest: Manifest, opts: CallOptions = {}): Promise<LiveObject> {
    const k8s = clientLibrary();
    const body = structuredClone(manifest) as KubernetesObject;
    const out = await this.call(
      `apply ${describeRef(manifest)}`,
      () => this.api.patch(body, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply),
      opts,
    );
    return plain(out);
  }

  /** The object, or undefined when it does not exist (404). */
  async read(ref: ObjectRef, opts: CallOptions = {}): Promise<LiveObject | undefined> {
    return this.call(
      `read ${describeRef(ref)}`,
      async () => {
        try {
          return plain(await this.api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...ref.metadata } }));
        } catch (e) {
          if (apiFailureOf(e)?.code === 404 && !isDiscoveryFailure(e)) return undefined;
          throw e;
        }
      },
      opts,
    );
  }

  /** Requests deletion; false when the object was already gone. */
  async delete(ref: ObjectRef, propagationPolicy: "Foreground" | "Background", opts: CallOptions = {}): Promise<boolean> {
    return this.call(
      `delete ${describeRef(ref)}`,
      async () => {
        try {
          await this.api.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...ref.metadata } }, undefined, undefined, undefined, undefined, propagationPolicy);
          return true;
        } catch (e) {
          if (apiFailureOf(e)?.code === 404 && !isDiscoveryFailure(e)) return false;
          throw e;
        }
      },
      opts,
    );
  }

  /** Every object of apiVersion/kind in all namespaces matching `labelSelector`. */
  async list(apiVersion: string, kind: string, labelSelector: string, opts: CallOptions = {}): Promise<LiveObject[]> {
    const items: LiveObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(
        `list ${apiVersion} ${kind}`,
        () => this.api.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, labelSelector, 500, token),
        opts,
      );
      items.push(...(page.items ?? []).map((i) => plain({ apiVersion, kind, ...i })));
      token = page.metadata?._continue || undefined;
    } while (token);
    return items;
  }
}

/** Client model objects -> plain JSON, as a manifest file would read (drift compares deeply). */
function plain(o: unknown): LiveObject {
  return JSON.parse(JSON.stringify(o)) as LiveObject;
}
