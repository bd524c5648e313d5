/**
 * The changes of a Pulumi preview, as `pulumi preview --json` prints it, turned into the
 * engine's PlannedChange[] (our dynamic resources only). Pure.
 *
 * The document is `{ steps: [{ op, urn, oldState?, newState? }], changeSummary, ... }`; our
 * resources have type tokens `pulumi-nodejs:dynamic/otterscale:<Type>` and camelCase inputs.
 * `op` -> action: create; update; delete; replace (Pulumi also emits `create-replacement` and
 * `delete-replaced` halves for the same URN: folded into the replace); same/read/refresh/import
 * -> skipped. The identity of an existing object is `oldState.id` (the engine's key).
 */
import type { PlannedChange } from "../../api";
import type { ResourceKind } from "../../catalog/catalog";
import { CliError } from "../exit-codes";
import { fromPulumiInputs, inputArgs, unknownPulumiPaths } from "./args";
import type { ReportChange } from "./terraform-plan";
import type { ParsedChanges } from "./terraform-plan";

/** Pulumi type name in the token -> kind (`VirtualMachine` -> `virtual_machine`). */
const KINDS: Readonly<Record<string, ResourceKind>> = {
  Server: "server",
  BaremetalGroup: "baremetal_group",
  TenantQuota: "tenant_quota",
  VirtualMachine: "virtual_machine",
  VCluster: "vcluster",
  BlockPool: "block_pool",
};

export function kindOfToken(token: string | undefined): ResourceKind | undefined {
  const m = /^pulumi-nodejs:dynamic\/otterscale:(\w+)$/.exec(token ?? "");
  return m ? KINDS[m[1]] : undefined;
}

interface PulumiState {
  readonly type?: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
}

interface PulumiStep {
  readonly op?: string;
  readonly urn?: string;
  readonly oldState?: PulumiState;
  readonly newState?: PulumiState;
}

/** `urn:pulumi:dev::estate::pulumi-nodejs:dynamic/otterscale:VirtualMachine::web-1` -> `VirtualMachine::web-1`. */
export function addressOfUrn(urn: string): string {
  const parts = urn.split("::");
  const type = parts[parts.length - 2] ?? "";
  return `${type.split(":").pop()}::${parts[parts.length - 1]}`;
}

const OPS: Readonly<Record<string, PlannedChange["action"]>> = {
  create: "create",
  update: "update",
  delete: "delete",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
};

export function parsePulumiPreview(doc: unknown): ParsedChanges {
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || !("changeSummary" in doc || "steps" in doc)) {
    throw new CliError("this is not the output of `pulumi preview --json` (no steps or changeSummary)");
  }
  const steps = (doc as { steps?: unknown }).steps ?? [];
  if (!Array.isArray(steps)) throw new CliError("pulumi preview JSON: steps is not a list");
  const byUrn = new Map<string, PlannedChange>();
  /** Replacements whose new object is created before the old one is deleted (Pulumi's default). */
  const createFirst = new Set<string>();
  const deleted = new Set<string>();
  let skipped = 0;
  for (const step of steps as PulumiStep[]) {
    const state = step.newState ?? step.oldState;
    const kind = kindOfToken(state?.type);
    const action = step.op ? OPS[step.op] : undefined;
    if (!kind || !action || !step.urn) {
      skipped++;
      continue;
    }
    // A replacement arrives as up to three steps for one URN; each may carry part of it.
    const prior = byUrn.get(step.urn);
    const merged = prior?.action === "replace" ? "replace" : action;
    if (step.op === "delete-replaced") deleted.add(step.urn);
    if (step.op === "create-replacement" && !deleted.has(step.urn)) createFirst.add(step.urn);
    const id = merged === "create" ? undefined : (step.oldState?.id ?? prior?.id ?? step.newState?.id);
    // The new inputs come from the create/replace steps, never from the old object's delete step.
    const fresh = step.op !== "delete-replaced" && step.newState?.inputs ? step.newState.inputs : undefined;
    const args = merged === "delete" ? undefined : (prior?.args ?? (fresh ? inputArgs(kind, fromPulumiInputs(kind, fresh)) : undefined));
    const unknown = merged === "delete" ? [] : (prior?.unknown ?? (fresh ? unknownPulumiPaths(fresh) : []));
    byUrn.set(step.urn, { action: merged, kind, address: addressOfUrn(step.urn), ...(id ? { id } : {}), ...(args ? { args } : {}), ...(unknown.length ? { unknown } : {}) });
  }
  const changes: ReportChange[] = [];
  for (const [urn, c] of byUrn) {
    // create-before-delete: the new object must fit while the old one still exists (engine/review/rules.ts).
    changes.push(c.action === "replace" && createFirst.has(urn) ? { ...c, createFirst: true } : c);
  }
  return { changes, skipped };
}
