/** A tiny promise-based gRPC client for the plugin's services, for tests and the benchmark. */
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../provider/src/terraform/services";

export type Call = (method: string, request?: object) => Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface PluginClient {
  provider: Call;
  health: Call;
  controller: Call;
  close(): void;
}

export interface ClientTls {
  /** The server certificate (from the handshake), trusted as the only root. */
  readonly serverCertPem: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

export function pluginClient(port: number, tls?: ClientTls): PluginClient {
  const creds = tls
    ? grpc.credentials.createSsl(
        Buffer.from(tls.serverCertPem),
        tls.clientKeyPem ? Buffer.from(tls.clientKeyPem) : null,
        tls.clientCertPem ? Buffer.from(tls.clientCertPem) : null,
      )
    : grpc.credentials.createInsecure();
  const make = (service: string) => {
    const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(service), service);
    const client = new Ctor(`127.0.0.1:${port}`, creds, { "grpc.ssl_target_name_override": "localhost" }) as unknown as Record<string, Function> & grpc.Client; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    const call: Call = (method, request = {}) =>
      new Promise((resolve, reject) =>
        client[method].call(client, request, { deadline: Date.now() + 10_000 }, (err: Error | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res))),
      );
    return { call, client };
  };
  const p = make("tfplugin6.Provider");
  const h = make("grpc.health.v1.Health");
  const c = make("plugin.GRPCController");
  return { provider: p.call, health: h.call, controller: c.call, close: () => [p, h, c].forEach((x) => x.client.close()) };
}
