/**
 * Ephemeral resources (Terraform >= 1.10, protocol 6.7+): Terraform opens them for one run and
 * never writes their result to a plan or state file. Each kind's opener only reads (through the
 * engine); there is nothing to renew or close, since no lease or session is held.
 *
 * `otterscale_vcluster_kubeconfig`: with the kubernetes controller, the kubeconfig vCluster wrote
 * to its Secret (`vc-<name>`, key `config`, tenant namespace), credentials included; with gitops
 * and MAAS (which cannot read the cluster), the reference kubeconfig `otterscale_vcluster`
 * reports: the endpoint, and a user entry that only names that Secret. `credentials_embedded`
 * says which one was returned.
 */
import type { EngineApi } from "../api";
import { OtterscaleError } from "../domain/errors";
import type { EphemeralKind, ResourceKind } from "../catalog/catalog";
import { UNKNOWN } from "./codec/types";

/**
 * What an opener may ask of the plan in progress: whether this provider process has planned to
 * create the object (Terraform opens ephemeral resources during plan too, before anything exists).
 */
export interface OpenContext {
  readonly engine: EngineApi;
  readonly plannedCreate: (kind: ResourceKind, id: string) => boolean;
}

type Opener = (ctx: OpenContext, args: Record<string, unknown>) => Promise<Record<string, unknown>>;

const OPENERS: Record<EphemeralKind, Opener> = {
  vcluster_kubeconfig: async ({ engine, plannedCreate }, args) => {
    const tenant = String(args.tenant);
    const name = String(args.name);
    const id = `${tenant}/${name}`;
    // Loaded here, not at startup: api/ brings the engine and every renderer, which a process
    // that never opens an ephemeral resource (Terraform's schema and validate processes) does not need.
    const { credentialsSecretOf } = require("../api") as typeof import("../api");
    const credentials_secret = credentialsSecretOf("vcluster", id)!;
    const state = await engine.read("vcluster", id);
    // Planned in this run but not created yet: the values are known after apply, when Terraform
    // opens it again after the vCluster's apply.
    if (!state && plannedCreate("vcluster", id)) return { id, tenant, name, endpoint: UNKNOWN, kubeconfig: UNKNOWN, credentials_embedded: UNKNOWN, credentials_secret };
    if (!state) {
      throw new OtterscaleError(
        "not_found",
        `vcluster "${id}" does not exist: create it first, or take tenant and name from the otterscale_vcluster resource in this configuration`,
        [{ path: "name", message: `vcluster "${id}" does not exist` }],
      );
    }
    // The vCluster's own kubeconfig where the controller can read its Secret (kubernetes), else
    // the reference kubeconfig every controller reports (endpoint + where the credentials are).
    const own = await engine.credentials?.("vcluster", id);
    return {
      id,
      tenant,
      name,
      endpoint: state.endpoint ?? null,
      kubeconfig: own ?? state.kubeconfig ?? null,
      credentials_embedded: own !== undefined,
      credentials_secret,
    };
  },
};

/** Opens an ephemeral resource of `kind` with its (validated, wholly known) arguments. */
export function openEphemeral(kind: EphemeralKind, ctx: OpenContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  return OPENERS[kind](ctx, args);
}
