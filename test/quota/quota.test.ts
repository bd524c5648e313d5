import assert from "node:assert/strict";
import { checkQuota, checkLimitsCoverUse, NO_USAGE, type QuotaLimits, type Usage } from "../../provider/src/domain/quota";
import { resources } from "../../provider/src/domain/resources";

const use = (cpu = 0, mem = 0, sto = 0, gpus = 0, vms = 0, vcs = 0, pools = 0): Usage => ({
  resources: resources(cpu, mem, sto, gpus),
  virtualMachines: vms,
  vclusters: vcs,
  blockPools: pools,
});

const limits: QuotaLimits = {
  resources: resources(16, 64, 500, 2),
  virtualMachines: 3,
  vclusters: 1,
  blockPools: 2,
};

describe("quota arithmetic", () => {
  // [name, used, delta, expected violated dimensions]
  const cases: [string, Usage, Usage, string[]][] = [
    ["fits exactly: cpu 12 + 4 = 16 <= 16", use(12), use(4), []],
    ["cpu: 12 + 5 = 17 > 16", use(12), use(5), ["cpu_cores"]],
    ["memory: 60 + 4.5 = 64.5 > 64", use(0, 60), use(0, 4.5), ["memory_gib"]],
    ["storage: 490 + 10.001 > 500", use(0, 0, 490), use(0, 0, 10.001), ["storage_gib"]],
    ["gpus: 2 + 1 > 2", use(0, 0, 0, 2), use(0, 0, 0, 1), ["gpus"]],
    ["virtual_machines: 3 + 1 > 3", use(0, 0, 0, 0, 3), use(0, 0, 0, 0, 1), ["virtual_machines"]],
    ["vclusters: 1 + 1 > 1", use(0, 0, 0, 0, 0, 1), use(0, 0, 0, 0, 0, 1), ["vclusters"]],
    ["block_pools: 2 + 1 > 2", use(0, 0, 0, 0, 0, 0, 2), use(0, 0, 0, 0, 0, 0, 1), ["block_pools"]],
    ["several at once", use(16, 64), use(1, 1), ["cpu_cores", "memory_gib"]],
    ["shrinking never fails even when over", use(20), use(-2), []],
    ["fractions stay exact: 0.1 * 3 = 0.3 <= 0.3", use(0, 0.2), use(0, 0.1), []],
  ];
  for (const [name, used, delta, expected] of cases) {
    it(name, () => {
      const v = checkQuota(name.startsWith("fractions") ? { resources: resources(0, 0.3) } : limits, used, delta);
      assert.deepEqual(v.ok ? [] : v.violations.map((x) => x.dimension), expected);
    });
  }

  it("reports requested, used and limit in user units", () => {
    const v = checkQuota(limits, use(12), use(6));
    assert.deepEqual(v, { ok: false, violations: [{ dimension: "cpu_cores", requested: 6, used: 12, limit: 16 }] });
  });

  it("unset limits are no cap", () => {
    const v = checkQuota({ resources: {} }, use(1e6, 1e6), use(1e6, 1e6, 1e6, 0, 1000, 1000, 1000));
    assert.deepEqual(v, { ok: true });
  });

  it("a limit of zero admits nothing of that dimension", () => {
    const v = checkQuota({ resources: { gpus: 0 } }, NO_USAGE, use(0, 0, 0, 1));
    assert.equal(v.ok, false);
  });

  it("lowering a limit below use is reported per dimension", () => {
    const below = checkLimitsCoverUse({ resources: resources(8, 64), virtualMachines: 1 }, use(10, 10, 0, 0, 2));
    assert.deepEqual(below, [
      { dimension: "cpu_cores", requested: 8, used: 10, limit: 8 },
      { dimension: "virtual_machines", requested: 1, used: 2, limit: 1 },
    ]);
  });
});
