/**
 * otterscale_block_pool: a Ceph RBD pool, replicated or erasure-coded, its replicas/chunks in
 * distinct failure domains. deletion_protection guards its delete. State: servers, raw_gib.
 */
import { checkNotProtected } from "../engine/decide";
import { fromMilli } from "../domain/resources";
import { blockPoolShape, poolLayout } from "../model/shape";
import type { BlockPoolArgs } from "../schema/types.gen";
import type { Problem } from "../domain/errors";
import type { WorkloadRules } from "./types";

const args = (spec: Record<string, unknown>) => spec as unknown as BlockPoolArgs;

export const blockPool: WorkloadRules = {
  kind: "block_pool",
  class: "workload",
  tier: 3,
  noun: "block pool",
  groupAttribute: "group",
  quotaPaths: { storage_gib: "size_gib", block_pools: "name" },
  semantics(spec) {
    const out: Problem[] = [];
    if (spec.erasure_coded !== undefined && spec.replicas !== undefined) out.push({ path: "replicas", message: "set either replicas or erasure_coded, not both" });
    return out;
  },
  shape: (spec) => blockPoolShape(args(spec)),
  checkDelete: async (_ctx, rec) => checkNotProtected(rec, "block pool"),
  project({ rec, base, status }) {
    const { count, share } = poolLayout(args(rec.spec));
    return { ...base, servers: rec.computed.servers ?? [], raw_gib: fromMilli(count * share), status };
  },
};
