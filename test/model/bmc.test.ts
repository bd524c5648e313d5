import assert from "node:assert/strict";
import { bmcAddressProblems, maasPowerAddress, maasPowerType, metal3BmcAddress } from "../../provider/src/domain/bmc";
import { seedEstate, testEngine, rejects, manifests } from "../support/estate";

type Bmc = Parameters<typeof metal3BmcAddress>[0];

describe("model/bmc", () => {
  const agree: Bmc[] = [
    { address: "10.0.0.5" },
    { address: "ipmi://10.0.0.5:623" },
    { address: "IPMI://10.0.0.5" },
    { address: "redfish://10.0.0.5/redfish/v1/Systems/1", power_type: "redfish" },
    { address: "redfish+https://10.0.0.5/redfish/v1/Systems/1", power_type: "redfish" },
    { address: "redfish-virtualmedia://10.0.0.5/redfish/v1/Systems/1", power_type: "redfish-virtualmedia" },
    { address: "qemu+ssh://kvm-1/system", power_type: "virsh" },
  ];
  for (const bmc of agree) it(`accepts ${JSON.stringify(bmc)}`, () => assert.deepEqual(bmcAddressProblems(bmc), []));

  const disagree: [Bmc, RegExp][] = [
    [{ address: "ipmi://10.0.0.5", power_type: "redfish" }, /"ipmi:\/\/" disagrees with bmc.power_type "redfish"/],
    [{ address: "redfish://10.0.0.5" }, /"redfish:\/\/" disagrees with bmc.power_type "ipmi"/],
    [{ address: "redfish://10.0.0.5", power_type: "redfish-virtualmedia" }, /uses redfish-virtualmedia:\/\//],
    [{ address: "idrac-virtualmedia://10.0.0.5", power_type: "redfish" }, /disagrees/],
  ];
  for (const [bmc, msg] of disagree) {
    it(`refuses ${JSON.stringify(bmc)} at bmc.address`, () => {
      const p = bmcAddressProblems(bmc);
      assert.equal(p.length, 1);
      assert.equal(p[0].path, "bmc.address");
      assert.match(p[0].message, msg);
    });
  }

  it("MAAS gets a plain host and its own power type names", () => {
    assert.equal(maasPowerAddress({ address: "redfish://10.0.0.5:8443/redfish/v1/Systems/1", power_type: "redfish" }), "10.0.0.5:8443");
    assert.equal(maasPowerAddress({ address: "10.0.0.5" }), "10.0.0.5");
    assert.equal(maasPowerAddress({ address: "qemu+ssh://kvm-1/system", power_type: "virsh" }), "qemu+ssh://kvm-1/system");
    assert.equal(maasPowerType("redfish-virtualmedia"), "redfish");
    assert.equal(maasPowerType("ipmi"), "ipmi");
  });

  it("the engine refuses a disagreeing scheme naming bmc.address, and writes nothing", async () => {
    const { engine, home } = await testEngine();
    try {
      await seedEstate(engine, { servers: 1 });
      const before = manifests(home);
      const err = await rejects(engine.create("server", { name: "s9", cpu_cores: 8, memory_gib: 32, storage_gib: 100, bmc: { address: "ipmi://10.0.0.9", power_type: "redfish" } }));
      assert.equal(err.code, "invalid_input");
      assert.equal(err.problems[0]?.path, "bmc.address");
      assert.match(err.message, /bmc\.address: the scheme "ipmi:\/\/" disagrees with bmc\.power_type "redfish"/);
      assert.deepEqual(manifests(home), before);
      assert.equal(await engine.read("server", "s9"), undefined);
    } finally {
      await engine.close();
    }
  });
});
