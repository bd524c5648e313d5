/**
 * The hand-off adapter (`controller_url = "handoff://"`): quota check, placement, reservation and
 * commit happen as with any adapter, but nothing is sent anywhere and nothing is written to disk.
 * The rendered objects are only returned, in each resource's `manifests` attribute, for the
 * user's own apply path (pulumi-kubernetes, Terraform's kubernetes provider, a GitOps agent).
 *
 * The objects then live in another tool's hands, so this adapter cannot observe them: it answers
 * every read as "present, exactly as the ledger records it" (no drift) and says so in `status`.
 * Watching the cluster for drift is the other tool's job.
 */
import { OtterscaleError } from "../../domain/errors";
import { RESOURCE_KINDS, type ResourceKind } from "../../catalog/catalog";
import { observeManifest, renderManifests } from "../render";
import type { ControllerContext, Controllers, DesiredObject, KindController, ObservedObject } from "../types";

/** The status every handed-off object reports: what the value means, in the value. */
export const HANDED_OFF_STATUS = "handed off: rendered into manifests, applied by your own tooling; the ledger is the record, the cluster is not observed";

function checkContext(ctx: ControllerContext | undefined, what: string): void {
  if (ctx?.signal?.aborted) throw new OtterscaleError("timeout", `${what} was cancelled`);
}

function observed(kind: ResourceKind, key: string): ObservedObject {
  // No fields: nothing was read back, so nothing can differ from the ledger's spec.
  return { kind, key, status: HANDED_OFF_STATUS, fields: {} };
}

export class HandoffKindController implements KindController {
  constructor(private readonly kind: ResourceKind) {}

  async apply(obj: DesiredObject, ctx?: ControllerContext): Promise<ObservedObject> {
    if (obj.kind !== this.kind) {
      throw new OtterscaleError("controller_failed", `handoff: ${obj.kind} ${obj.key} sent to the ${this.kind} controller`);
    }
    checkContext(ctx, `apply ${this.kind} ${obj.key}`);
    // Rendered so a manifest the renderer refuses fails the apply before commit, exactly as with
    // gitops; the front end returns the same objects from the ledger. What the objects say that
    // the ledger keeps (a vCluster's endpoint) is kept; the kubeconfig is not: vCluster writes it
    // into its Secret in the cluster, which nothing here can read (so no read could return it).
    const [first] = renderManifests(obj);
    const { endpoint } = observeManifest(this.kind, obj.key, first, `handoff ${this.kind} ${obj.key}`);
    return { ...observed(this.kind, obj.key), ...(endpoint ? { endpoint } : {}) };
  }

  /** Present: the ledger's record is the only one there is (the engine asks only about its own rows). */
  async get(key: string, ctx?: ControllerContext): Promise<ObservedObject | undefined> {
    checkContext(ctx, `read ${this.kind} ${key}`);
    return observed(this.kind, key);
  }

  /** Nothing to remove here: the other tool removes the object once it is gone from `manifests`. */
  async delete(key: string, ctx?: ControllerContext): Promise<void> {
    checkContext(ctx, `delete ${this.kind} ${key}`);
  }

  /** Nothing is held here, so nothing is ever an orphan. */
  async list(): Promise<string[]> {
    return [];
  }

  async listOwned(): Promise<string[]> {
    return [];
  }
}

/** All kinds, handed off. No location marker: there is no location to mark. */
export class HandoffControllers implements Controllers {
  private readonly byKind: ReadonlyMap<ResourceKind, HandoffKindController>;
  /** Reconcile has no backend to compare the ledger with (see engine/reconcile.ts). */
  readonly observesBackend = false;

  constructor(readonly url: string) {
    this.byKind = new Map(RESOURCE_KINDS.map((k) => [k, new HandoffKindController(k)]));
  }

  forKind(kind: ResourceKind): KindController {
    const c = this.byKind.get(kind);
    if (!c) throw new OtterscaleError("config", `the handoff controller does not serve kind "${String(kind)}"`);
    return c;
  }
}
