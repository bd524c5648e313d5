/**
 * The engine's public contract for front ends (Terraform, Pulumi, CDKTF, CLI). Everything here
 * speaks snake_case attribute objects exactly as schema/ defines them.
 */
import type { DataSourceKind, ResourceKind } from "../catalog/catalog";

/**
 * `status` of an object whose backend copy differs from what the engine rendered (a hand-edited
 * nodeSelector, a removed field): the front end plans an update, which re-applies the rendered
 * manifest. EngineApi.driftOf says what changed.
 */
export const DRIFTED = "Drifted";

/** A resource's full attribute object: inputs (defaults applied) plus computed attributes. */
export type State = Record<string, unknown>;

export interface OperationOptions {
  /** Give up (and release any reservation) after this many milliseconds. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Who acts: the Terraform workspace or Pulumi stack. Objects record their owner; another
   * owner's create, update or delete is refused (engine/owners.ts). Omitted = not checked.
   */
  readonly owner?: string;
  /**
   * An update that also makes `owner` the object's owner: the explicit takeover of `terraform
   * import` (applied at the next apply) and Pulumi `adopt: true`, audited with both owners.
   */
  readonly takeover?: boolean;
}

export interface ReadOptions {
  /** The reader's owner: an object another owner holds reads as gone (it left this workspace). */
  readonly owner?: string;
}

export interface EngineConfig {
  /** `sqlite:///abs/path.db` or `postgres://...`; default: env OTTERSCALE_LEDGER_URL, then $OTTERSCALE_HOME/ledger.db. */
  readonly ledgerUrl?: string;
  /** `gitops:///abs/dir`, `kubernetes://`, `maas://...`; default: env OTTERSCALE_CONTROLLER_URL, then $OTTERSCALE_HOME/manifests. */
  readonly controllerUrl?: string;
  /** Overrides $OTTERSCALE_HOME. */
  readonly home?: string;
  /** Lease of a held row (ms): renewed while its operation runs, expired = abandoned. Default 60 s. */
  readonly leaseMs?: number;
  /**
   * GPU model -> the cluster's device name (provider `gpu_devices`); default: env
   * OTTERSCALE_GPU_DEVICES (JSON), then `nvidia.com/<MODEL>` per model (model/gpu-devices.ts).
   */
  readonly gpuDevices?: Readonly<Record<string, string>>;
  /** Create the ledger when it does not exist (default: only the embedded default location is). */
  readonly createLedger?: boolean;
  /** Chart version for vClusters without their own `chart_version`; default: env OTTERSCALE_VCLUSTER_CHART_VERSION, then schema/provider.json's default. */
  readonly vclusterChartVersion?: string;
}

/** One intended change, as a plan or preview sees it. */
export interface PlannedChange {
  readonly action: "create" | "update" | "delete" | "replace";
  readonly kind: ResourceKind;
  /** Existing identity (update/delete/replace). */
  readonly id?: string;
  /** Desired inputs (create/update/replace). Unknown values (not yet computed) may be omitted. */
  readonly args?: Record<string, unknown>;
  /** Front-end address for messages, e.g. `otterscale_virtual_machine.web[3]`. */
  readonly address?: string;
  /** Who plans it (see OperationOptions.owner): another owner's object fails the plan. */
  readonly owner?: string;
  /** An update that takes the object over (OperationOptions.takeover): not refused as another owner's. */
  readonly takeover?: boolean;
  /**
   * Attribute paths (dotted) whose values are not known until apply (computed by other
   * resources). A change that cannot be validated without them is left to apply time.
   */
  readonly unknown?: readonly string[];
  /**
   * A replace whose new object the front end creates before it destroys the old one
   * (create_before_destroy): the new object must fit while the old one still holds its share.
   */
  readonly createFirst?: boolean;
  /** The delete of a deposed object (a replacement left half-done): never blocks a plan. */
  readonly deposed?: boolean;
}

export interface Diagnostic {
  readonly severity: "error" | "warning";
  /** Address of the change it is about (PlannedChange.address), when known. */
  readonly address?: string;
  /** Attribute path, dotted (`cpu_cores`, `placement.server`). */
  readonly path?: string;
  readonly code: string;
  readonly summary: string;
  readonly detail: string;
  /** The detail with its remedy in Pulumi's words, when it has a remedy (domain/errors.ts Remedy). */
  readonly pulumiDetail?: string;
}

export interface PlanResult {
  /** Errors and warnings, in the order of the changes. */
  readonly diagnostics: readonly Diagnostic[];
  /** Predicted placement per change address (or index) for creates, when placeable. */
  readonly placements: Readonly<Record<string, readonly string[]>>;
}

export interface EngineApi {
  /** Identity of the ledger behind this engine: state remembers it (see engine/state-ledger.ts). */
  readonly ledgerId: string;
  /** The ledger URL, password hidden (for messages). */
  readonly ledgerLabel: string;
  create(kind: ResourceKind, args: unknown, opts?: OperationOptions): Promise<State>;
  /** Undefined when the object is gone (from the ledger or, for workloads, from the controller). */
  read(kind: ResourceKind, id: string, opts?: ReadOptions): Promise<State | undefined>;
  /**
   * An existing object's own credentials where the backend can read them (a vCluster's kubeconfig,
   * kubernetes controller), else undefined. Reads only; the value is never stored or logged.
   */
  credentials?(kind: ResourceKind, id: string, opts?: ReadOptions): Promise<string | undefined>;
  update(kind: ResourceKind, id: string, args: unknown, opts?: OperationOptions): Promise<State>;
  delete(kind: ResourceKind, id: string, opts?: OperationOptions): Promise<void>;
  /**
   * Reads an existing object to adopt it, by import ID (`name`, `tenant/name`, `tenant/group`).
   * Writes nothing (Terraform imports during plan): the ownership moves with the next update
   * made with `takeover`.
   */
  import(kind: ResourceKind, id: string): Promise<State>;
  /** What the last `read` of the object found drifted, one line per value; empty when nothing. */
  driftOf?(kind: ResourceKind, id: string): readonly string[];
  /**
   * sha256 (hex) of each sensitive input the ledger recorded for an object, by dotted path (the
   * ledger keeps digests, never the values). Lets a front end tell "same secret" after an import.
   */
  secretDigests?(kind: ResourceKind, id: string): Promise<Record<string, string>>;
  /** Who owns the object (null: nobody recorded; undefined: no such object). */
  ownerOf(kind: ResourceKind, id: string): Promise<string | null | undefined>;
  /** Dry run of a batch of changes together. Writes nothing. */
  plan(changes: readonly PlannedChange[]): Promise<PlanResult>;
  readDataSource(kind: DataSourceKind, args: unknown): Promise<State>;
  close(): Promise<void>;
}
