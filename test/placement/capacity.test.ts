import assert from "node:assert/strict";
import { capacityOf, dimensionCapacity, type ServerCapacitySpec } from "../../provider/src/placement";

describe("capacityOf: (total - reserved) * allocation_ratio, in thousandths rounded down", () => {
  const table: { name: string; spec: ServerCapacitySpec; capacity: Record<string, number>; gpuModels: Record<string, number> }[] = [
    {
      name: "defaults: ratio 1, nothing reserved, no GPUs",
      spec: { cpu_cores: 32, memory_gib: 256, storage_gib: 2000 },
      capacity: { cpu: 32000, memory: 256000, storage: 2000000, gpus: 0 },
      gpuModels: {},
    },
    {
      name: "reservation and overcommit",
      // cpu (32 - 2) * 4 = 120 cores; memory (256 - 16) * 1.5 = 360 GiB
      spec: {
        cpu_cores: 32,
        reserved_cpu_cores: 2,
        cpu_allocation_ratio: 4,
        memory_gib: 256,
        reserved_memory_gib: 16,
        memory_allocation_ratio: 1.5,
        storage_gib: 1000,
        gpus: [{ model: "a100", count: 4 }],
      },
      capacity: { cpu: 120000, memory: 360000, storage: 1000000, gpus: 4000 },
      gpuModels: { a100: 4000 },
    },
    {
      name: "fractions round down to whole thousandths",
      // cpu (3.333 - 0.5) * 1.5 = 2.833 * 1.5 = 4.2495 -> 4249 (not 4250)
      // memory (10.001 - 0) * 0.333 = 3.330333 -> 3330
      spec: { cpu_cores: 3.333, reserved_cpu_cores: 0.5, cpu_allocation_ratio: 1.5, memory_gib: 10.001, memory_allocation_ratio: 0.333, storage_gib: 0.5 },
      capacity: { cpu: 4249, memory: 3330, storage: 500, gpus: 0 },
      gpuModels: {},
    },
    {
      name: "ratio 1.001 is exact in integers (1000 * 1.001 in floats is 1000.9999999999999)",
      // 1 core * 1.001 = 1.001 -> 1001 (a float product rounded down would give 1000)
      spec: { cpu_cores: 1, cpu_allocation_ratio: 1.001, memory_gib: 1, storage_gib: 1 },
      capacity: { cpu: 1001, memory: 1000, storage: 1000, gpus: 0 },
      gpuModels: {},
    },
    {
      name: "reserved above total gives 0, not a negative capacity",
      spec: { cpu_cores: 4, reserved_cpu_cores: 6, memory_gib: 8, reserved_memory_gib: 8, storage_gib: 100 },
      capacity: { cpu: 0, memory: 0, storage: 100000, gpus: 0 },
      gpuModels: {},
    },
    {
      name: "GPU entries of one model add up; storage and GPUs ignore the ratios",
      spec: {
        cpu_cores: 8,
        memory_gib: 64,
        storage_gib: 500,
        cpu_allocation_ratio: 2,
        memory_allocation_ratio: 2,
        gpus: [
          { model: "t4", count: 2 },
          { model: "a100", count: 1 },
          { model: "t4", count: 1 },
        ],
      },
      capacity: { cpu: 16000, memory: 128000, storage: 500000, gpus: 4000 },
      gpuModels: { t4: 3000, a100: 1000 },
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      const got = capacityOf(t.spec);
      assert.deepEqual(got.capacity, t.capacity);
      assert.deepEqual(got.gpuModels, t.gpuModels);
    });
  }

  it("dimensionCapacity at the schema's extremes stays exact (10,000,000 GiB * ratio 99.999)", () => {
    // 10^10 milli * 99999 = 999990000000000 < 2^53; / 1000 = 999990000000
    assert.equal(dimensionCapacity(10_000_000, 0, 99.999), 999_990_000_000);
  });
});
