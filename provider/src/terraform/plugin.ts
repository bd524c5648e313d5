/**
 * Starts a provider plugin server: binds, (optionally) prints the handshake, then registers the
 * services. Used by main.ts (TLS, real engine) and by tests (plaintext, injected engine, for
 * Terraform's TF_REATTACH_PROVIDERS).
 */
import type * as grpc from "@grpc/grpc-js";
import { listen, type TlsOptions } from "./transport";
import { handshakeLine } from "./handshake";
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
  const stop = async () => {
    await Promise.race([provider.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  };
  registerServices(server, provider, { onShutdown: options.onShutdown ?? (() => void stop()) });
  return { port, handshake, server, provider, stop };
}
