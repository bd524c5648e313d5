/**
 * The floor under grpc-js for bench/grpc-transport.bench.ts: the same unary tfplugin6 calls served
 * straight on node:http2 (mutual TLS, gRPC framing by hand, nothing else). Bench-only: it lacks
 * what a real server needs (flow control of large messages, cancellation, errors as statuses,
 * the go-plugin services); it shows how much of a call's cost grpc-js adds over Node's HTTP/2.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { serviceDefinition } from "../provider/src/terraform/services";

type Handler = (req: unknown) => Promise<unknown>;

export function listenFloor(tls: { certPem: string; keyPem: string; clientCertPem: string }, provider: object): Promise<number> {
  const def = serviceDefinition("tfplugin6.Provider");
  const server = http2.createSecureServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.clientCertPem, requestCert: true, rejectUnauthorized: true });
  server.on("stream", (stream, headers) => {
    const name = String(headers[":path"]).slice("/tfplugin6.Provider/".length);
    const method = def[name];
    const chunks: Buffer[] = [];
    stream.on("data", (b: Buffer) => chunks.push(b));
    stream.on("end", () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const req = method.requestDeserialize(body.subarray(5));
      void ((provider as Record<string, Handler>)[name].call(provider, req)).then((res) => {
        const msg = method.responseSerialize(res);
        const frame = Buffer.allocUnsafe(msg.length + 5);
        frame[0] = 0;
        frame.writeUInt32BE(msg.length, 1);
        msg.copy(frame, 5);
        stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame);
      });
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}
