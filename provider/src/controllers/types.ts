/**
 * Backend controllers: the things that really create objects. The engine calls them between
 * reserving and committing. One interface per kind; adapters (gitops, kubernetes, maas) implement
 * the kinds they serve and are chosen by `controller_url`.
 */
import type { ResourceKind } from "../catalog/catalog";
import { OtterscaleError } from "../domain/errors";

/** Where a workload landed (computed by placement, passed to the controller). */
export interface PlacedServer {
  readonly name: string;
  /** The machine's hostname or FQDN (informational). */
  readonly hostname: string;
  /**
   * Kubernetes node name (model/inventory.ts `nodeNameOf`): the `kubernetes.io/hostname` value
   * workloads placed here are pinned to.
   */
  readonly nodeName: string;
  readonly rack?: string;
  readonly zone?: string;
}

/** What the engine wants to exist. */
export interface DesiredObject<Spec = Record<string, unknown>> {
  readonly kind: ResourceKind;
  /** Identity: `name` (server, group), `tenant/group` (quota), `tenant/name` (workloads). */
  readonly key: string;
  /** Validated input attributes with defaults applied (snake_case, as in schema/). */
  readonly spec: Spec;
  /** Servers chosen by placement, in replica order (workloads only). */
  readonly placement: readonly PlacedServer[];
  /** Extra computed values the manifest carries (e.g. a group's member_servers). */
  readonly extras?: Readonly<Record<string, unknown>>;
  /**
   * GPU model -> the cluster's device name, for the models this manifest names (provider
   * `gpu_devices` resolved by model/gpu-devices.ts). Absent = the documented defaults.
   */
  readonly gpuDevices?: Readonly<Record<string, string>>;
  /**
   * sha256 (hex) of sensitive inputs by attribute path, for renders from the ledger, which keeps
   * digests, never the values: a renderer that writes a digest (VM user data) uses it when the
   * value itself is absent, so the manifest is the one that was applied.
   */
  readonly digests?: Readonly<Record<string, string>>;
}

/** One answer of a batch: its value, or the error of that one item. */
export type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** What the controller observes. */
export interface ObservedObject {
  readonly kind: ResourceKind;
  readonly key: string;
  /** Platform status, e.g. `Running`, `Stopped`, `Ready`, `Paused`, `Active`. */
  readonly status: string;
  /**
   * Spec attributes as read back from the backend (snake_case, only those the backend carries).
   * The engine compares them with the ledger's spec to report drift.
   */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Server names read back (nodeSelector hostname resolved by the engine, or recorded names). */
  readonly servers?: readonly string[];
  readonly endpoint?: string;
  /**
   * sha256 (hex) of sensitive attributes the backend holds only by reference (e.g. `user_data`,
   * whose manifest names a Secret), so a change is detectable without the secret being stored.
   */
  readonly digests?: Readonly<Record<string, string>>;
  /** Sensitive; never logged. */
  readonly kubeconfig?: string;
  /**
   * The object as the backend holds it (a parsed manifest file, an API object), for comparing
   * every rendered value (render/manifest-drift.ts). Absent where the backend holds no manifest
   * (MAAS).
   */
  readonly manifest?: unknown;
  /** The attached objects the backend holds (Renderer.attached), those found, in any order. */
  readonly attached?: readonly unknown[];
}

export interface ControllerContext {
  /** Deadline for the whole call (resource timeouts); adapters should stop waiting after it. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

export interface KindController {
  /** Create or update; idempotent. */
  apply(obj: DesiredObject, ctx?: ControllerContext): Promise<ObservedObject>;
  /** Current state, or undefined when the object does not exist. */
  get(key: string, ctx?: ControllerContext): Promise<ObservedObject | undefined>;
  /**
   * Optional: the current state of several objects in one call (a refresh's batch), answered in
   * the order of `keys`, each on its own (a fault fails only its object's answer). `expected[i]`
   * is what the engine would render for `keys[i]` from the ledger: an adapter that stores exactly
   * that rendering may then skip parsing it back. Absent: the engine calls `get` per key.
   */
  getMany?(keys: readonly string[], expected: readonly (DesiredObject | undefined)[], ctx?: ControllerContext): Promise<Answer<ObservedObject | undefined>[]>;
  /** Delete; deleting a missing object succeeds. */
  delete(key: string, ctx?: ControllerContext): Promise<void>;
  /** Keys of every object of this kind that the backend holds (for reconcile / orphans). */
  list(ctx?: ControllerContext): Promise<string[]>;
  /**
   * Keys of the objects of this kind that carry otterscale's ownership marks (labels, or living
   * in an otterscale-owned directory): only these may be removed as orphans. Absent where the
   * backend cannot tell ours from others' (MAAS lists every machine it knows).
   */
  listOwned?(ctx?: ControllerContext): Promise<string[]>;
  /**
   * The object's own credentials where this backend can read them (a vCluster's kubeconfig from
   * the Secret vCluster writes), else undefined. Sensitive: never logged, cached or stored.
   */
  credentials?(key: string, ctx?: ControllerContext): Promise<string | undefined>;
}

/**
 * Which ledger a backend location (a gitops directory, a cluster) belongs to. It lets the engine
 * refuse a location that belongs to another ledger, or that holds nothing of its own (a typo in
 * controller_url), instead of reading either as "everything was deleted".
 */
export interface ControllerLocation {
  /** Human-readable location, credentials masked. */
  readonly label: string;
  /** The ledger id recorded at the location; undefined when none is (new, or written before ids existed). */
  owner(): Promise<string | undefined>;
  /** True when the location holds no object of any kind. Read-only. */
  isEmpty(): Promise<boolean>;
  /** Records `ledgerId` as the location's owner. A backend write: only mutations call it. */
  claim(ledgerId: string): Promise<void>;
}

/**
 * Marks a failure that happened before the adapter sent any write (its first read failed): the
 * engine may then release a create's reservation without asking the backend again.
 */
export function beforeAnyWrite(e: unknown): OtterscaleError {
  const base = OtterscaleError.isInstance(e) ? e : new OtterscaleError("controller_failed", e instanceof Error ? e.message : String(e));
  return new OtterscaleError(base.code, base.message, base.problems, { ...base.details, nothingWritten: true });
}

/** The adapter set chosen by controller_url: one controller per kind. */
export interface Controllers {
  /** The controller URL with credentials masked (domain/redact.ts), safe for messages. */
  readonly url: string;
  forKind(kind: ResourceKind): KindController;
  /** Ownership marker of the location, where the adapter can keep one. */
  readonly location?: ControllerLocation;
  /**
   * False when the adapter only hands objects over and observes nothing (`handoff://`): its reads
   * answer from the ledger, so comparing the ledger with it (reconcile's missing and orphan
   * findings) would compare the ledger with itself. Absent = true.
   */
  readonly observesBackend?: boolean;
  close?(): Promise<void>;
}
