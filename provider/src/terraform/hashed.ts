/**
 * Sensitive inputs after `terraform import`: the ledger keeps only their sha256, so an imported
 * state cannot hold `user_data` itself, and a plan would show `+ user_data` although the backend
 * already has exactly that value. Terraform lets a provider keep a non-null prior value that is
 * equivalent to the configured one, so the import stores a stand-in, `sha256:<hex>` (a digest,
 * not the secret, and sensitive in state anyway), and a plan whose configured value hashes to it
 * keeps the stand-in: no diff. A different value plans an ordinary update; at apply, a planned
 * stand-in is replaced by the configured value, so the engine never receives a digest as data.
 */
import { createHash } from "node:crypto";
import { sensitivePaths, type ResourceKind } from "../catalog/catalog";
import { isUnknown, type TfObject, type TfValue } from "./codec/types";

const PREFIX = "sha256:";
const standIn = (hex: string) => `${PREFIX}${hex}`;
const isStandIn = (v: unknown): v is string => typeof v === "string" && /^sha256:[0-9a-f]{64}$/.test(v);
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v) && !isUnknown(v);

function parentAt(root: unknown, path: readonly string[]): Record<string, unknown> | undefined {
  let v: unknown = root;
  for (const k of path.slice(0, -1)) v = isObject(v) ? v[k] : undefined;
  return isObject(v) ? v : undefined;
}

/** An imported state with a stand-in for each sensitive input the ledger has a digest of. */
export function withStandIns(kind: ResourceKind, state: TfValue, digests: Readonly<Record<string, string>>): TfValue {
  if (!isObject(state)) return state;
  for (const path of sensitivePaths(kind)) {
    const steps = path.split(".");
    const parent = parentAt(state, steps);
    const leaf = steps[steps.length - 1];
    if (parent && (parent[leaf] === null || parent[leaf] === undefined) && digests[path]) parent[leaf] = standIn(digests[path]);
  }
  return state;
}

/**
 * The configuration to plan from: where the prior state holds a stand-in and the configured value
 * hashes to it, the stand-in (so the plan keeps the prior value and shows no change).
 */
export function matchStandIns(kind: ResourceKind, prior: TfValue, config: TfValue): TfValue {
  if (!isObject(prior) || !isObject(config)) return config;
  let out: TfValue = config;
  for (const path of sensitivePaths(kind)) {
    const steps = path.split(".");
    const leaf = steps[steps.length - 1];
    const p = parentAt(prior, steps)?.[leaf];
    const c = parentAt(config, steps)?.[leaf];
    if (!isStandIn(p) || typeof c !== "string" || standIn(sha256(c)) !== p) continue;
    if (out === config) out = structuredClone(config) as TfObject;
    parentAt(out, steps)![leaf] = p;
  }
  return out;
}

/** Engine arguments for an apply: a planned stand-in becomes the configured value it stands for. */
export function withConfiguredSecrets(kind: ResourceKind, args: Record<string, unknown>, config: TfValue): Record<string, unknown> {
  for (const path of sensitivePaths(kind)) {
    const steps = path.split(".");
    const leaf = steps[steps.length - 1];
    const parent = parentAt(args, steps);
    if (!parent || !isStandIn(parent[leaf])) continue;
    const c = parentAt(config, steps)?.[leaf];
    if (typeof c === "string") parent[leaf] = c;
    else delete parent[leaf];
  }
  return args;
}
