/**
 * Protocol server layer: registers tfplugin6.Provider (backed by a ProviderServer),
 * plugin.GRPCController and grpc.health.v1.Health on a bound grpc-js server. A handler that
 * throws still answers with an error diagnostic: Terraform never sees a gRPC failure from us.
 */
import type * as grpc from "@grpc/grpc-js";
import { methodNames, serviceDefinition } from "./services";
import { diagnosticsToProto } from "./to-proto";
import { fromError } from "./diagnostics";
import type { ProviderServer } from "./provider-server";
import type { InFlight } from "./in-flight";
import { log } from "./log";

export interface ServeOptions {
  /** Called on plugin.GRPCController/Shutdown, after the reply is sent. */
  readonly onShutdown: () => void;
  /** Every tfplugin6 call is counted here while it runs (shutdown waits for them). */
  readonly inFlight?: InFlight;
}

type Handler = (req: unknown) => Promise<Record<string, unknown>>;

export function registerServices(server: grpc.Server, provider: ProviderServer, options: ServeOptions): void {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of methodNames("tfplugin6.Provider")) {
    const method = (provider as unknown as Record<string, Handler | undefined>)[name];
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const started = performance.now();
      const run = method ? method.call(provider, call.request) : Promise.resolve({});
      options.inFlight?.track(run);
      run
        .catch((e: unknown) => {
          log("error", "rpc failed", { rpc: name, error: e instanceof Error ? e.message : String(e) });
          return { diagnostics: diagnosticsToProto(fromError(e, name)) };
        })
        .then((res) => {
          log("trace", "rpc", { rpc: name, ms: Math.round(performance.now() - started) });
          callback(null, res);
        });
    };
  }
  server.addService(serviceDefinition("tfplugin6.Provider"), impl);

  server.addService(serviceDefinition("plugin.GRPCController"), {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, {});
      setImmediate(options.onShutdown);
    },
  });

  server.addService(serviceDefinition("grpc.health.v1.Health"), {
    Check: (call: grpc.ServerUnaryCall<{ service?: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const service = call.request.service ?? "";
      callback(null, { status: service === "" || service === "plugin" ? 1 : 0 });
    },
  });
}
