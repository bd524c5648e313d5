/**
 * gRPC service definitions for tfplugin6.Provider, plugin.GRPCController and
 * grpc.health.v1.Health, built from the precompiled descriptor proto/tfplugin6.json (see
 * scripts/tf-gen-proto-json.js) with protobufjs/light: about half the load time of
 * @grpc/proto-loader parsing .proto text, measured in bench/terraform.bench.ts.
 */
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import * as protobuf from "protobufjs/light";
import descriptor from "../../../proto/tfplugin6.json";

let root: protobuf.Root | undefined;

/**
 * The descriptor's types, resolved lazily: protobufjs resolves a type's fields when it first
 * encodes or decodes one, so resolving all of them up front (Root.fromJSON does) only costs each
 * provider process about 8 ms of its start (three processes per plan), for types most calls never use.
 */
function rootOf(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.addJSON((descriptor as protobuf.INamespace).nested ?? {});
  }
  return root;
}

/** Decoded messages keep the .proto field names (snake_case); int64 -> number, enums -> number. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, bytes: Buffer, defaults: false, oneofs: true };

function codec(type: protobuf.Type) {
  return {
    serialize: (value: object): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer): Record<string, unknown> => type.toObject(type.decode(bytes), TO_OBJECT),
  };
}

/** A grpc-js service definition for a fully qualified service name, e.g. `tfplugin6.Provider`. */
export function serviceDefinition(fullName: string): ServiceDefinition {
  const service = rootOf().lookupService(fullName);
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = codec(method.resolvedRequestType as protobuf.Type);
    const res = codec(method.resolvedResponseType as protobuf.Type);
    def[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: req.serialize,
      requestDeserialize: req.deserialize,
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
    };
  }
  return def as ServiceDefinition;
}

/** Method names of a service, for checks that every RPC has a handler. */
export function methodNames(fullName: string): string[] {
  return rootOf().lookupService(fullName).methodsArray.map((m) => m.name);
}
