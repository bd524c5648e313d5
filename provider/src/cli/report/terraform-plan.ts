/**
 * The changes of a Terraform plan, as `terraform show -json plan.tfplan` prints it, turned into
 * the engine's PlannedChange[] (our `otterscale_*` resources only). Pure.
 *
 * `resource_changes[].change.actions` -> action:
 *   ["create"] -> create; ["update"] -> update; ["delete"] -> delete;
 *   ["delete","create"] / ["create","delete"] -> replace; ["no-op"], ["read"], ["forget"] -> skipped.
 * `change.after` gives the args (Terraform omits unknown values there and marks them in
 * `after_unknown`, so unknowns are simply absent); `change.before.id` gives the identity.
 */
import { RESOURCE_KINDS, type ResourceKind } from "../../catalog/catalog";
import type { PlannedChange } from "../../api";
import { keyOf } from "../../engine/records";
import { CliError } from "../exit-codes";
import { inputArgs } from "./args";

/** A change as the report plans it (the engine's PlannedChange; the review rulebook judges it). */
export type ReportChange = PlannedChange;

export interface ParsedChanges {
  readonly changes: ReportChange[];
  /** Resource changes of other providers, or of ours that change nothing. */
  readonly skipped: number;
  /**
   * Why the front end itself could not finish planning (Terraform >= 1.11 writes a plan file even
   * when planning errors, marked `"errored": true`): such a plan can never apply, and the changes
   * it lists are incomplete.
   */
  readonly upstreamErrors?: readonly string[];
}

interface TfResourceChange {
  readonly address?: string;
  readonly mode?: string;
  readonly type?: string;
  readonly change?: { readonly actions?: readonly string[]; readonly before?: unknown; readonly after?: unknown };
  /** Set on the change of a deposed object (a create_before_destroy replacement left half-done). */
  readonly deposed?: string;
}

/** `otterscale_virtual_machine` -> `virtual_machine`; undefined for other providers' types. */
export function kindOfType(type: string | undefined): ResourceKind | undefined {
  const m = /^otterscale_(\w+)$/.exec(type ?? "");
  return m && (RESOURCE_KINDS as readonly string[]).includes(m[1]) ? (m[1] as ResourceKind) : undefined;
}

function actionOf(actions: readonly string[]): PlannedChange["action"] | undefined {
  const a = [...actions].sort().join(",");
  switch (a) {
    case "create":
      return "create";
    case "update":
      return "update";
    case "delete":
      return "delete";
    case "create,delete":
      return "replace";
    default:
      return undefined; // no-op, read, forget
  }
}

/** Identity of the prior object: its `id`, else derived from its identity attributes. */
function idOf(kind: ResourceKind, before: unknown): string | undefined {
  if (!before || typeof before !== "object") return undefined;
  const b = before as Record<string, unknown>;
  if (typeof b.id === "string" && b.id) return b.id;
  return keyOf(kind, b);
}

/** Dotted paths marked `true` in a plan's `after_unknown` (values known only after apply). */
function knownLater(afterUnknown: unknown, prefix = ""): string[] {
  if (afterUnknown === true) return prefix ? [prefix] : [];
  if (!afterUnknown || typeof afterUnknown !== "object" || Array.isArray(afterUnknown)) return [];
  return Object.entries(afterUnknown as Record<string, unknown>).flatMap(([k, v]) => knownLater(v, prefix ? `${prefix}.${k}` : k));
}

export function parseTerraformPlan(doc: unknown): ParsedChanges {
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || !("format_version" in doc)) {
    throw new CliError("this is not the output of `terraform show -json <planfile>` (no format_version); run `terraform show -json plan.tfplan > plan.json` and pass plan.json");
  }
  const rcs = (doc as { resource_changes?: unknown }).resource_changes ?? [];
  if (!Array.isArray(rcs)) throw new CliError("terraform plan JSON: resource_changes is not a list");
  const changes: ReportChange[] = [];
  let skipped = 0;
  for (const rc of rcs as TfResourceChange[]) {
    const kind = rc.mode === "managed" ? kindOfType(rc.type) : undefined;
    const action = kind && actionOf(rc.change?.actions ?? []);
    if (!kind || !action) {
      skipped++;
      continue;
    }
    const address = rc.address ?? `${rc.type}`;
    const id = action === "create" ? undefined : idOf(kind, rc.change?.before);
    const args = action === "delete" ? undefined : inputArgs(kind, rc.change?.after);
    const unknown = action === "delete" ? [] : knownLater((rc.change as { after_unknown?: unknown } | undefined)?.after_unknown);
    const extra = { ...(args ? { args } : {}), ...(unknown.length ? { unknown } : {}) };
    // create_before_destroy: the new object must fit while the old one still exists (engine/review/rules.ts).
    const createFirst = action === "replace" && (rc.change?.actions ?? [])[0] === "create" ? { createFirst: true } : {};
    // A deposed object's delete never blocks (rules.ts); its address names it apart from the current object.
    const deposed = rc.deposed && action === "delete" ? { deposed: true } : {};
    const at = rc.deposed ? `${address} (deposed ${rc.deposed})` : address;
    changes.push({ action, kind, address: at, ...(id !== undefined ? { id } : {}), ...extra, ...createFirst, ...deposed });
  }
  const errored = (doc as { errored?: unknown }).errored === true;
  return {
    changes,
    skipped,
    ...(errored
      ? { upstreamErrors: ["terraform could not finish planning: the plan file is marked errored, so it cannot be applied and the changes it lists are incomplete; run `terraform plan` to see the errors"] }
      : {}),
  };
}
