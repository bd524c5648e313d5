/**
 * The real executable (bin/terraform-provider-otterscale): what only the binary can show.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as path from "node:path";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../../provider/src/terraform/handshake";
import { selfSignedCert } from "../../provider/src/terraform/cert";
import { pluginClient } from "./grpc-client";
import { providerMain, repoRoot } from "./tf-harness";

const BIN = path.join(repoRoot(), "bin", "terraform-provider-otterscale");
const baseEnv = (): NodeJS.ProcessEnv => ({ ...process.env, OTTERSCALE_PROVIDER_JS: providerMain(), NODE_PATH: path.join(repoRoot(), "node_modules") });

/** Starts the plugin as Terraform does and resolves with its handshake line. */
export function startPlugin(clientCertPem: string): Promise<{ child: ChildProcess; line: string; stdout: () => string }> {
  const child = spawn(BIN, [], {
    env: { ...baseEnv(), [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: "5,6", PLUGIN_CLIENT_CERT: clientCertPem },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("\n")) resolve({ child, line: out.split("\n")[0], stdout: () => out });
    });
    child.on("exit", (code) => reject(new Error(`plugin exited ${code} before the handshake`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on("exit", (c) => r(c))));

describe("terraform provider binary: handshake and transport", function () {
  this.timeout(30_000);
  const client = selfSignedCert(); // stands in for Terraform's client certificate

  it("without the magic cookie: a friendly message and exit 1", () => {
    const env = baseEnv();
    delete env[MAGIC_COOKIE_KEY];
    const r = spawnSync(BIN, [], { env, encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /This binary is a plugin\. These are not meant to be executed directly\./);
  });

  it("prints exactly one line 1|6|tcp|127.0.0.1:PORT|grpc|CERT with a valid localhost certificate, then serves mTLS", async () => {
    const { child, line, stdout } = await startPlugin(client.certPem);
    try {
      const m = /^1\|6\|tcp\|127\.0\.0\.1:(\d+)\|grpc\|([A-Za-z0-9+/]+)$/.exec(line);
      assert.ok(m, line);
      assert.ok(!m[2].endsWith("="));
      const padded = m[2] + "=".repeat((4 - (m[2].length % 4)) % 4);
      const cert = new X509Certificate(Buffer.from(padded, "base64"));
      assert.equal(cert.subject.split("\n").find((l) => l.startsWith("CN=")), "CN=localhost");
      assert.equal(cert.subjectAltName, "DNS:localhost");
      assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]); // serverAuth, clientAuth
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
      assert.ok(cert.verify(cert.publicKey), "self-signed");

      const port = Number(m[1]);
      const c = pluginClient(port, { serverCertPem: cert.toString(), clientCertPem: client.certPem, clientKeyPem: client.keyPem });
      assert.deepEqual(await c.health("Check", { service: "plugin" }), { status: 1 });
      const meta = await c.provider("GetMetadata");
      assert.deepEqual(meta.resources.map((r: { type_name: string }) => r.type_name).sort(), [
        "otterscale_baremetal_group",
        "otterscale_block_pool",
        "otterscale_server",
        "otterscale_tenant_quota",
        "otterscale_vcluster",
        "otterscale_virtual_machine",
      ]);
      c.close();

      // A client without Terraform's certificate is refused.
      const stranger = selfSignedCert();
      const s = pluginClient(port, { serverCertPem: cert.toString(), clientCertPem: stranger.certPem, clientKeyPem: stranger.keyPem });
      await assert.rejects(s.health("Check", { service: "plugin" }));
      s.close();

      const c2 = pluginClient(port, { serverCertPem: cert.toString(), clientCertPem: client.certPem, clientKeyPem: client.keyPem });
      const t0 = Date.now();
      await c2.controller("Shutdown");
      assert.equal(await exited(child), 0);
      assert.ok(Date.now() - t0 < 2000, "exits promptly on Shutdown");
      c2.close();
      assert.equal(stdout().split("\n").filter(Boolean).length, 1, "nothing else on stdout");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
