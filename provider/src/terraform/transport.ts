/**
 * The gRPC server a plugin process exposes: mutual TLS pinned to Terraform's client certificate
 * (go-plugin AutoMTLS) or, for reattach/debug sessions, plaintext. Binding happens before the
 * handshake line is printed; services may be added afterwards (grpc-js looks handlers up per call).
 */
import * as grpc from "@grpc/grpc-js";

export interface TlsOptions {
  readonly certPem: string;
  readonly keyPem: string;
  /** PEM of the certificate Terraform presents (env PLUGIN_CLIENT_CERT); required of every client. */
  readonly clientCertPem: string;
}

export interface Listening {
  readonly server: grpc.Server;
  readonly port: number;
}

/** Binds `127.0.0.1:0` (or `port`) and resolves once the port is known. */
export function listen(tls: TlsOptions | undefined, port = 0): Promise<Listening> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 256 * 1024 * 1024, // go-plugin allows large schemas/states
    "grpc.max_send_message_length": 256 * 1024 * 1024,
    // No channelz (gRPC's introspection service, which we never serve): its per-call counters
    // cost on each of the ~4 calls per resource a plan makes.
    "grpc.enable_channelz": 0,
  });
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(
        Buffer.from(tls.clientCertPem),
        [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
        true,
      )
    : grpc.ServerCredentials.createInsecure();
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve({ server, port: bound })));
  });
}
