/**
 * The kind rulebook's own rules, called directly (the engine tests cover them through create,
 * update and delete): guards no engine test reaches (a VM's pin moved), and the declarations the
 * engine reads (shape, semantics, tiers, tenant scoping).
 */
import assert from "node:assert/strict";
import { OtterscaleError } from "../../provider/src/domain/errors";
import type { DecisionContext } from "../../provider/src/engine/decision-context";
import { newRecord } from "../../provider/src/engine/records";
import { semanticProblems } from "../../provider/src/engine/semantics";
import { rulesOf, workloadRulesOf } from "../../provider/src/kinds";
import type { Allocation } from "../../provider/src/ledger/records";
import { resources } from "../../provider/src/domain/resources";
import { RESOURCE_KINDS } from "../../provider/src/catalog/catalog";

const record = (kind: Parameters<typeof rulesOf>[0], key: string, spec: Record<string, unknown>) =>
  newRecord({ kind, key, spec, digests: {}, state: "active", opId: null, leaseExpires: null, now: 0 });

/** A context whose use fails the test: the checks below must decide without reading. */
const untouched = new Proxy({}, { get: (_t, p) => assert.fail(`the check read ctx.${String(p)}`) }) as DecisionContext;

const vm = { tenant: "acme", group: "g", name: "web", cpu_cores: 2, memory_gib: 4, disk_gib: 20 };
const on = (server: string): Allocation[] => [{ kind: "virtual_machine", key: "acme/web", replica: 0, server, resources: resources(2, 4, 20), gpuModel: null }];

describe("kinds: the rules each kind declares", () => {
  it("a VM pinned to another server than the one it runs on is refused (no silent move), naming placement.server", async () => {
    const existing = record("virtual_machine", "acme/web", vm);
    const rules = workloadRulesOf("virtual_machine");
    await assert.rejects(rules.checkStays!(untouched, existing, { ...vm, placement: { server: "s2" } }, on("s1")), (e: unknown) => {
      assert.ok(OtterscaleError.isInstance(e));
      assert.equal(e.code, "unplaceable");
      assert.match(e.message, /virtual_machine acme\/web runs on s1; pinning it to s2 would move it/);
      assert.deepEqual(e.problems.map((p) => p.path), ["placement.server"]);
      return true;
    });
    // Pinned where it runs, and a VM with no placement rules: nothing to check, nothing read.
    await rules.checkStays!(untouched, existing, { ...vm, placement: { server: "s1" } }, on("s1"));
    await rules.checkStays!(untouched, existing, vm, []);
  });

  it("a block pool is deleted only with deletion_protection = false", async () => {
    const pool = { tenant: "acme", group: "g", name: "data", size_gib: 10 };
    const del = rulesOf("block_pool").checkDelete!;
    for (const protection of [undefined, true]) {
      await assert.rejects(del(untouched, record("block_pool", "acme/data", { ...pool, deletion_protection: protection })), /block pool acme\/data has deletion_protection = true/);
    }
    await del(untouched, record("block_pool", "acme/data", { ...pool, deletion_protection: false }));
  });

  it("semantic rules come from the kind, with the attribute path", () => {
    assert.deepEqual(semanticProblems("block_pool", { replicas: 3, erasure_coded: { data_chunks: 2, coding_chunks: 1 } }).map((p) => p.path), ["replicas"]);
    assert.deepEqual(semanticProblems("virtual_machine", { placement: { spread_domain: "rack" } }).map((p) => p.path), ["placement.spread_domain"]);
    assert.deepEqual(semanticProblems("server", { name: "s1", cpu_cores: 4, reserved_cpu_cores: 8, memory_gib: 8 }).map((p) => p.path), ["reserved_cpu_cores"]);
    assert.deepEqual(semanticProblems("vcluster", { placement: { spread_domain: "rack" } }), []);
  });

  it("shapes: the worked example of model/shape.ts (EC 4+2 of 100 GiB in zones)", () => {
    const shape = workloadRulesOf("block_pool").shape({ tenant: "acme", group: "g", name: "p", size_gib: 100, erasure_coded: { data_chunks: 4, coding_chunks: 2 }, failure_domain: "zone" });
    assert.equal(shape.replicas, 6);
    assert.equal(shape.distinctDomain, "zone");
    assert.equal(shape.demand.storage, 25_500);
    assert.equal(shape.charge.resources.storage, 101_000);
    assert.equal(shape.charge.blockPools, 1);
  });

  it("tiers order dependencies: servers, groups, quotas, then workloads together", () => {
    assert.deepEqual(RESOURCE_KINDS.map((k) => rulesOf(k).tier), [0, 1, 2, 3, 3, 3]);
  });

  it("workloads and quotas are scoped to a tenant and group in the ledger; inventory is not", () => {
    assert.deepEqual([record("tenant_quota", "acme/g", { tenant: "acme", group: "g" }).tenant, record("virtual_machine", "acme/web", vm).grp], ["acme", "g"]);
    assert.equal(record("server", "s1", { name: "s1" }).tenant, null);
    assert.equal(record("baremetal_group", "g", { name: "g", servers: ["s1"] }).grp, null);
  });
});
