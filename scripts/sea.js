#!/usr/bin/env node
// Builds the self-contained provider executable (a Node Single Executable Application):
//   node scripts/sea.js OUT [--node /path/to/node] [--no-code-cache]
// 1. esbuild bundles dist/provider/src/terraform/main.js (run `npm run build` first) into one CJS
//    file, JSON (schema/*.json, proto/tfplugin6.json) inlined. @kubernetes/client-node (~18 MB of
//    generated API code, needed only by the kubernetes adapter) goes into a second bundle that is
//    embedded as the SEA asset `kubernetes.cjs` and compiled on first use (scripts/sea-kubernetes.js):
//    parsing it at every start cost ~40-50 ms of the handshake (measured with bench/terraform.bench.ts).
// 2. `node --experimental-sea-config` writes the blob, with V8's code cache for the main bundle
//    (without it, the single 21 MB bundle took a median of ~480 ms to the handshake; with it ~130 ms;
//    split as above ~75 ms, on this 2-core machine when idle). The blob must be made by the
//    same Node version it is injected into, and the code cache by the same platform: a blob for
//    another architecture is made without it (--no-code-cache).
// 3. postject injects the blob into a copy of the Node binary (sentinel fuse below).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

const ROOT = path.resolve(__dirname, "..");
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
/** The Node 24 the repository pins (devDependency `node`); the SEA runtime. */
const DEFAULT_NODE = path.join(ROOT, "node_modules", "node", "bin", "node");

/** esbuild's JS API from the dev dependency. */
const esbuild = () => require(path.join(ROOT, "node_modules", "esbuild"));

/**
 * Bundles the provider into `dir`: provider.cjs (entry) and kubernetes.cjs (the asset). `dist` is
 * the compiled tree (default <repo>/dist). Returns both paths.
 */
function bundle(dir, dist = path.join(ROOT, "dist")) {
  fs.mkdirSync(dir, { recursive: true });
  const main = path.join(dir, "provider.cjs");
  const kube = path.join(dir, "kubernetes.cjs");
  const common = { bundle: true, platform: "node", format: "cjs", target: "node24", logLevel: "error", legalComments: "none", minifyWhitespace: true, minifySyntax: true };
  esbuild().buildSync({
    ...common,
    entryPoints: [path.join(dist, "provider", "src", "terraform", "main.js")],
    outfile: main,
    // pg's optional native binding is only loaded when asked for (`pg.native`), never here.
    external: ["pg-native"],
    alias: { "@kubernetes/client-node": path.join(__dirname, "sea-kubernetes.js") },
  });
  esbuild().buildSync({ ...common, stdin: { contents: 'module.exports = require("@kubernetes/client-node");', resolveDir: ROOT, loader: "js" }, outfile: kube });
  return { main, kube };
}

/** Writes the SEA blob for `node` from the bundles in `dir`; returns its path. */
function blob(dir, node = DEFAULT_NODE, { codeCache = true } = {}) {
  const out = path.join(dir, codeCache ? "sea.blob" : "sea-nocache.blob");
  const config = path.join(dir, codeCache ? "sea-config.json" : "sea-config-nocache.json");
  fs.writeFileSync(
    config,
    JSON.stringify({ main: path.join(dir, "provider.cjs"), output: out, disableExperimentalSEAWarning: true, useCodeCache: codeCache, useSnapshot: false, assets: { "kubernetes.cjs": path.join(dir, "kubernetes.cjs") } }, null, 2),
  );
  quiet(node, ["--experimental-sea-config", config], dir);
  return out;
}

/** Runs a build step; its chatter (postject warns about every ELF note) is shown only when it fails. */
function quiet(cmd, args, cwd) {
  try {
    execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`${path.basename(cmd)} ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** Copies `runtime` (a Node binary of the blob's version, any architecture) to `out` and injects `blobFile`. */
function inject(runtime, blobFile, out, node = DEFAULT_NODE) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.copyFileSync(runtime, out);
  fs.chmodSync(out, 0o755);
  quiet(node, [path.join(ROOT, "node_modules", "postject", "dist", "cli.js"), out, "NODE_SEA_BLOB", blobFile, "--sentinel-fuse", FUSE], path.dirname(out));
  return out;
}

/** Bundle + blob + inject for this machine's Node 24: the executable at `out`. */
function buildSea(out, { node = DEFAULT_NODE, codeCache = true, work = path.join(path.dirname(out), ".sea-build"), dist } = {}) {
  bundle(work, dist);
  return inject(node, blob(work, node, { codeCache }), out, node);
}

module.exports = { bundle, blob, inject, buildSea, DEFAULT_NODE, FUSE };

if (require.main === module) {
  const args = process.argv.slice(2);
  const out = args.find((a) => !a.startsWith("--"));
  if (!out) {
    process.stderr.write("usage: node scripts/sea.js OUT [--node PATH] [--no-code-cache]\n");
    process.exit(2);
  }
  const ni = args.indexOf("--node");
  try {
    process.stdout.write(`wrote ${buildSea(path.resolve(out), { node: ni >= 0 ? args[ni + 1] : DEFAULT_NODE, codeCache: !args.includes("--no-code-cache") })}\n`);
  } catch (e) {
    process.stderr.write(`sea: ${e.message}\n`);
    process.exit(1);
  }
}
