import assert from "node:assert/strict";
import { nodeNameOf } from "../../provider/src/domain/inventory";

describe("model/inventory nodeNameOf", () => {
  // The Kubernetes node name pinning selects on (`kubernetes.io/hostname`).
  const cases: [string, { name: string; hostname?: string; node_name?: string }, string][] = [
    ["no hostname: the server name", { name: "s5" }, "s5"],
    ["an FQDN hostname: its first label (kubelet's default node name)", { name: "s5", hostname: "node-5.dc1.example" }, "node-5"],
    ["a short hostname: itself", { name: "s5", hostname: "node-5" }, "node-5"],
    ["node_name wins over hostname", { name: "s5", hostname: "node-5.dc1.example", node_name: "node-5.dc1.example" }, "node-5.dc1.example"],
    ["node_name wins over name", { name: "s5", node_name: "gpu-node-5" }, "gpu-node-5"],
  ];
  for (const [why, server, want] of cases) {
    it(`${why}: ${JSON.stringify(server)} -> ${want}`, () => assert.equal(nodeNameOf(server), want));
  }
});
