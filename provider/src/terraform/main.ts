/**
 * Entry point of `terraform-provider-otterscale` (go-plugin protocol, tfplugin6 over gRPC).
 *
 * Startup is on Terraform's critical path (one provider process per graph walk), so only what the
 * handshake needs is loaded before the handshake line: grpc-js, node:crypto and our DER encoder.
 * Protobuf descriptors, schema, ajv and the engine load afterwards, the engine only on first use.
 *
 * The process never outlives Terraform: when Terraform is gone (re-parented, see parent-watch.ts)
 * or on SIGTERM/SIGHUP, operations in flight are stopped and settle (releasing what they
 * reserved), the engine closes, and the process exits non-zero with a line on stderr.
 */
import "./compile-cache"; // first: every module after it loads from the cache
import { COOKIE_MISSING_MESSAGE, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, offersProtocol6 } from "./handshake";
import type { EngineConfig } from "../api";
import type { RunningProvider } from "./plugin";

let handshakeWritten = false;

/**
 * Ends the process with `message`. Before the handshake Terraform shows only the plugin's stdout
 * (go-plugin: "Unrecognized remote plugin message: <line>"), stderr goes to its debug log: so the
 * line goes to both when Terraform started us.
 */
function fail(message: string): never {
  const line = message.endsWith("\n") ? message : `${message}\n`;
  process.stderr.write(line);
  if (!handshakeWritten && process.env[MAGIC_COOKIE_KEY]) process.stdout.write(line);
  process.exit(1);
}

/** The production engine, loaded on first use. */
const openEngine = async (config: EngineConfig) => (require("../api") as typeof import("../api")).openEngine(config);

/** Exit codes of an ending Terraform did not ask for: 1 when orphaned, 128 + n for signal n (shell convention). */
const EXIT_ORPHANED = 1;
const SIGNAL_EXIT: Readonly<Record<"SIGTERM" | "SIGHUP", number>> = { SIGTERM: 143, SIGHUP: 129 };

let running: RunningProvider | undefined;
let exiting = false;

/** Ends the process once, however many reasons arrive. */
function exitOnce(code: number, work: () => Promise<unknown>, backstopMs: number): void {
  if (exiting) return;
  exiting = true;
  setTimeout(() => process.exit(code), backstopMs).unref(); // never linger, whatever hangs
  void work().finally(() => process.exit(code));
}

/** Terraform will not tell us to stop: settle what is in flight, then exit `code`. */
function terminate(reason: string, code: number): void {
  const { log } = require("./log") as typeof import("./log");
  const { SHUTDOWN_GRACE_MS } = require("./plugin") as typeof import("./plugin");
  exitOnce(
    code,
    async () => {
      log("warn", `terraform-provider-otterscale: ${reason}; stopping operations in flight and exiting`, { pid: process.pid });
      const { unsettled } = (await running?.shutdown(reason, SHUTDOWN_GRACE_MS)) ?? { unsettled: 0 };
      if (unsettled) log("error", `terraform-provider-otterscale: ${unsettled} operation(s) still running after ${SHUTDOWN_GRACE_MS} ms; the next run reconciles what they left`);
    },
    SHUTDOWN_GRACE_MS + 5000,
  );
}

async function main(): Promise<void> {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) fail(COOKIE_MISSING_MESSAGE);
  if (!offersProtocol6(process.env)) fail(`terraform-provider-otterscale speaks plugin protocol 6 only; Terraform offered ${process.env.PLUGIN_PROTOCOL_VERSIONS}. Use Terraform >= 1.0.`);
  // Ctrl-C reaches the whole process group, and Terraform relays it as StopProvider, then waits for
  // the operations to return so it can record them: so SIGINT stops them, like StopProvider, and
  // the process keeps serving (go-plugin servers ignore it too). Exiting here would lose results.
  process.on("SIGINT", () => void running?.provider.StopProvider());
  for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, () => terminate(`received ${signal}`, SIGNAL_EXIT[signal]));
  // Once Terraform is gone our stderr and stdout are pipes nobody reads: a write fails with EPIPE,
  // which must not kill the process while it settles its operations.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

  const { log } = require("./log") as typeof import("./log");
  const clientCertPem = process.env.PLUGIN_CLIENT_CERT;
  let tls;
  if (clientCertPem) {
    const { selfSignedCert } = require("./cert") as typeof import("./cert");
    const cert = selfSignedCert();
    tls = { certPem: cert.certPem, keyPem: cert.keyPem, clientCertPem, der: cert.der };
  } else log("warn", "PLUGIN_CLIENT_CERT not set: serving without TLS");

  const { watchParent } = require("./parent-watch") as typeof import("./parent-watch");
  watchParent((was, now) => terminate(`Terraform (parent process ${was}) is gone, re-parented to ${now}`, EXIT_ORPHANED));
  const { startProvider } = require("./plugin") as typeof import("./plugin");
  running = await startProvider({
    openEngine,
    ...(tls ? { tls } : {}),
    writeHandshake: (line) => {
      handshakeWritten = true;
      process.stdout.write(line);
    },
    onShutdown: () => exitOnce(0, () => running!.stop(), 3000),
  });
  log("debug", "plugin serving", { port: running.port, pid: process.pid });
}

main().catch((e: unknown) => fail(`terraform-provider-otterscale: ${e instanceof Error ? e.message : String(e)}`));
