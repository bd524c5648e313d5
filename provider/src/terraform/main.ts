/**
 * Entry point of `terraform-provider-otterscale` (go-plugin protocol, tfplugin6 over gRPC).
 *
 * Startup is on Terraform's critical path (one provider process per graph walk), so only what the
 * handshake needs is loaded before the handshake line: grpc-js, node:crypto and our DER encoder.
 * Protobuf descriptors, schema, ajv and the engine load afterwards, the engine only on first use.
 */
import { COOKIE_MISSING_MESSAGE, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, offersProtocol6 } from "./handshake";
import type { EngineConfig } from "../handlers/api";

function fail(message: string): never {
  process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
  process.exit(1);
}

/** The production engine, loaded on first use. */
const openEngine = async (config: EngineConfig) => (require("../handlers/engine") as typeof import("../handlers/engine")).openEngine(config);

async function main(): Promise<void> {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) fail(COOKIE_MISSING_MESSAGE);
  if (!offersProtocol6(process.env)) fail(`terraform-provider-otterscale speaks plugin protocol 6 only; Terraform offered ${process.env.PLUGIN_PROTOCOL_VERSIONS}. Use Terraform >= 1.0.`);
  process.on("SIGINT", () => undefined); // like go-plugin: Terraform handles Ctrl-C and tells us (StopProvider)

  const { log } = require("./log") as typeof import("./log");
  const clientCertPem = process.env.PLUGIN_CLIENT_CERT;
  let tls;
  if (clientCertPem) {
    const { selfSignedCert } = require("./cert") as typeof import("./cert");
    const cert = selfSignedCert();
    tls = { certPem: cert.certPem, keyPem: cert.keyPem, clientCertPem, der: cert.der };
  } else log("warn", "PLUGIN_CLIENT_CERT not set: serving without TLS");

  const { startProvider } = require("./plugin") as typeof import("./plugin");
  const running = await startProvider({
    openEngine,
    ...(tls ? { tls } : {}),
    writeHandshake: (line) => process.stdout.write(line),
    onShutdown: () => {
      void running.stop().finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 3000).unref(); // never linger
    },
  });
  log("debug", "plugin serving", { port: running.port, pid: process.pid });
}

main().catch((e: unknown) => fail(`terraform-provider-otterscale: ${e instanceof Error ? e.message : String(e)}`));
