/**
 * Starts a provider plugin server: binds, (optionally) prints the handshake, then registers the
 * services. Used by main.ts (TLS, real engine) and by tests (plaintext, injected engine, for
 * Terraform's TF_REATTACH_PROVIDERS).
 */
import type * as grpc from "@grpc/grpc-js";
import { listen, type TlsOptions } from "./transport";
import { handshakeLine } from "./handshake";
import { InFlight } from "./in-flight";
import type { EngineOpener, ProviderServer } from "./provider-server";

export interface StartOptions {
  readonly openEngine: EngineOpener;
  readonly tls?: TlsOptions & { readonly der: Uint8Array };
  readonly port?: number;
  /** Written as soon as the port is bound, before the services load (main: process.stdout). */
  readonly writeHandshake?: (line: string) => void;
  /** plugin.GRPCController/Shutdown; default: close the engine and the server. */
  readonly onShutdown?: () => void;
}

export interface RunningProvider {
  readonly port: number;
  readonly handshake: string;
  readonly server: grpc.Server;
  readonly provider: ProviderServer;
  /** Closes the engine and the server. */
  stop(): Promise<void>;
  /**
   * For a process that must end without Terraform's say (Terraform is gone, SIGTERM): stops the
   * operations in flight (each releases what it reserved), waits up to `graceMs` for them, closes
   * the engine and the server. `unsettled`: calls still running when the grace ran out.
   */
  shutdown(reason: string, graceMs?: number): Promise<{ unsettled: number }>;
}

/** How long shutdown waits for operations in flight to settle. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Resolves when `work` settles or after `ms`, whichever is first. */
function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
  return Promise.race([work.then(() => undefined, () => undefined), late]).finally(() => clearTimeout(timer));
}

export async function startProvider(options: StartOptions): Promise<RunningProvider> {
  const { server, port } = await listen(options.tls, options.port ?? 0);
  const handshake = handshakeLine(port, options.tls?.der);
  options.writeHandshake?.(handshake);
  // Loaded after the handshake line is out: nothing above needs protobuf, ajv or the schema.
  // This runs in the same tick, so no request can arrive before the services are registered.
  const { ProviderServer: Server } = require("./provider-server") as typeof import("./provider-server");
  const { registerServices } = require("./serve") as typeof import("./serve");
  const provider = new Server(options.openEngine);
  const inFlight = new InFlight();
  const stop = async () => {
    await bounded(provider.close(), 2000);
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  };
  const shutdown = async (reason: string, graceMs = SHUTDOWN_GRACE_MS) => {
    const until = Date.now() + graceMs;
    // The engine closes even when calls outlive the grace: the process ends either way, and a
    // reservation left pending is settled by the next run's reconcile.
    await bounded(provider.shutdown(reason, () => bounded(inFlight.settled(), until - Date.now())), until - Date.now() + 2000);
    server.forceShutdown(); // nothing left worth answering; Terraform's connection may be dead
    return { unsettled: inFlight.size };
  };
  registerServices(server, provider, { onShutdown: options.onShutdown ?? (() => void stop()), inFlight });
  return { port, handshake, server, provider, stop, shutdown };
}
