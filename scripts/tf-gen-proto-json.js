#!/usr/bin/env node
// Precompiles proto/*.proto (tfplugin6.8, go-plugin's controller, grpc health) into one protobufjs
// JSON descriptor, proto/tfplugin6.json, which the provider loads at run time with
// @grpc/proto-loader's fromJSON: that skips parsing .proto text in every provider process.
// Run after editing a .proto; test/terraform checks the JSON is current.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const protobuf = require("protobufjs");

const PROTO_DIR = path.join(__dirname, "..", "proto");
const FILES = ["tfplugin6.8.proto", "grpc_controller.proto", "health.proto"];

function render() {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    // google/protobuf/*.proto are built into protobufjs; ours live in proto/.
    if (target.startsWith("google/protobuf/")) return target;
    return path.join(PROTO_DIR, path.basename(target));
  };
  root.loadSync(FILES.map((f) => path.join(PROTO_DIR, f)), { keepCase: true });
  root.resolveAll();
  return `${JSON.stringify(root.toJSON({ keepComments: false }))}\n`;
}

module.exports = { render };

if (require.main === module) {
  const out = path.join(PROTO_DIR, "tfplugin6.json");
  fs.writeFileSync(out, render());
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}
