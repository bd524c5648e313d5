/**
 * otterscale_block_pool: a Ceph RBD pool, replicated or erasure-coded, its replicas/chunks in
 * distinct failure domains. deletion_protection guards its delete. State: servers, raw_gib.
 */
import { OtterscaleError, type Problem } from "../domain/errors";
import type { LedgerRecord } from "../ledger/records";
import { fromMilli } from "../domain/resources";
import { blockPoolShape, poolLayout } from "../domain/shape";
import type { BlockPoolArgs } from "../catalog/types.gen";
import type { WorkloadRules } from "./types";

const args = (spec: Record<string, unknown>) => spec as unknown as BlockPoolArgs;

/** An object with `deletion_protection` not set to false cannot be deleted. */
function checkNotProtected(rec: LedgerRecord, noun: string): void {
  if (rec.spec.deletion_protection !== false) {
    throw new OtterscaleError(
      "protected",
      `${noun} ${rec.key} has deletion_protection = true`,
      [{ path: "deletion_protection", message: "is true" }],
      {},
      { terraform: "set it to false and apply before destroying", pulumi: "set deletion_protection to false and run `pulumi up` before destroying" },
    );
  }
}

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
