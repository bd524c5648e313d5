// Stands in for @kubernetes/client-node inside the self-contained provider (scripts/sea.js): the
// library is bundled separately and embedded as the SEA asset `kubernetes.cjs`, compiled here on
// first require, so only runs that use the kubernetes adapter parse it. Outside a SEA (the bundle
// run by plain node, for debugging) it reads kubernetes.cjs next to the bundle.
"use strict";
const sea = require("node:sea");
const vm = require("node:vm");
const { createRequire } = require("node:module");

const filename = sea.isSea() ? `${process.execPath}#kubernetes.cjs` : require("node:path").join(__dirname, "kubernetes.cjs");
const code = sea.isSea() ? sea.getAsset("kubernetes.cjs", "utf8") : require("node:fs").readFileSync(filename, "utf8");
const wrapper = vm.compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], { filename });
const mod = { exports: {} };
// The asset needs only Node's built-in modules; a real require resolves them outside a SEA too.
wrapper.call(mod.exports, mod.exports, createRequire(sea.isSea() ? process.execPath : filename), mod, filename, require("node:path").dirname(filename));
module.exports = mod.exports;
