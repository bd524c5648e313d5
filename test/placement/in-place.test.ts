import assert from "node:assert/strict";
import { checkInPlace, type Rejection } from "../../provider/src/placement";
import { resources } from "../../provider/src/domain/resources";
import { server } from "./builders";

// The VM already runs on the server: `allocated` includes it; `extra` = new - old.
describe("checkInPlace", () => {
  const host = server("s1", [16, 64, 1000, 4], [12, 60, 900, 2], { gpuModels: { a100: [2, 1], t4: [2, 1] } });
  const table: { name: string; extra: ReturnType<typeof resources>; gpuModel?: string; expected: Rejection | undefined }[] = [
    // memory 60 + 4 = 64 <= 64
    { name: "growth that exactly fills the server", extra: resources(0, 4), expected: undefined },
    {
      name: "memory growth past capacity",
      // memory 60 + 8 = 68 > 64
      extra: resources(0, 8),
      expected: { server: "s1", filter: "capacity", reason: "insufficient memory: requested 8, allocated 60, capacity 64 GiB" },
    },
    // cpu +2 -> 14 <= 16; memory -8 needs no room even though 60 - 8 is irrelevant here
    { name: "grow cpu while shrinking memory", extra: resources(2, -8), expected: undefined },
    {
      name: "shrinking never needs room, even on an over-full dimension",
      extra: resources(-4, -30, -100),
      expected: undefined,
    },
    {
      name: "several dimensions short are all listed",
      // cpu 12 + 5 = 17 > 16; storage 900 + 200 = 1100 > 1000
      extra: resources(5, 0, 200),
      expected: {
        server: "s1",
        filter: "capacity",
        reason:
          "insufficient cpu: requested 5, allocated 12, capacity 16 cores; insufficient storage: requested 200, allocated 900, capacity 1000 GiB",
      },
    },
    // a100: 1 + 1 = 2 <= 2
    { name: "one more a100 fits", extra: resources(0, 0, 0, 1), gpuModel: "a100", expected: undefined },
    {
      name: "two more a100s do not, although 2 GPUs are free in total",
      // total gpus 2 + 2 = 4 <= 4 passes; a100 1 + 2 = 3 > 2
      extra: resources(0, 0, 0, 2),
      gpuModel: "a100",
      expected: { server: "s1", filter: "gpu-model", reason: "insufficient a100 GPUs: requested 2, allocated 1, capacity 2 GPUs" },
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      assert.deepEqual(checkInPlace(host, t.extra, t.gpuModel), t.expected);
    });
  }

  it("ignores maintenance: a running VM may still grow on its server", () => {
    const drained = server("s2", [16, 64], [4, 16], { maintenance: true });
    assert.equal(checkInPlace(drained, resources(2, 8)), undefined);
  });
});
