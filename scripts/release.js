#!/usr/bin/env node
// `npm run release`: the provider as Terraform users install it, under dist/release/:
//   terraform-provider-otterscale_<version>_<os>_<arch>.zip   one self-contained executable
//                                                             terraform-provider-otterscale_v<version>
//   terraform-provider-otterscale_<version>_SHA256SUMS        sha256 of the zips and the manifest
//   terraform-provider-otterscale_<version>_manifest.json     plugin protocol 6.0
//   mirror/registry.terraform.io/otterscale/otterscale/<the zips>   Terraform's packed mirror layout
// and dist/sea/terraform-provider-otterscale (this machine's executable, used by bin/ when present).
//
//   node scripts/release.js [--out DIR] [--platforms linux_amd64,linux_arm64] [--version X.Y.Z]
//
// Platforms: this machine's (blob with V8 code cache) and any other whose Node binary the npm
// registry serves as node-<os>-<arch>@<our Node version> (npm pack; blob without code cache, which
// is platform-specific). A platform whose binary cannot be fetched is skipped with a message;
// `--platforms` names the ones that must be built (then a failure is an error).
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const crypto = require("node:crypto");
const { execFileSync } = require("node:child_process");
const sea = require("./sea");
const { writeZip } = require("./zip");

const ROOT = path.resolve(__dirname, "..");
const NAME = "terraform-provider-otterscale";
/** The provider's source address is registry.terraform.io/otterscale/otterscale (examples/, README). */
const HOST = "registry.terraform.io";
const NAMESPACE = "otterscale";
const TYPE = "otterscale";
const DEFAULT_PLATFORMS = ["linux_amd64", "linux_arm64"];

const NODE_OS = { linux: "linux", darwin: "darwin" };
const NODE_ARCH = { amd64: "x64", arm64: "arm64" };

function hostPlatform() {
  const osName = { linux: "linux", darwin: "darwin", win32: "windows" }[process.platform] ?? process.platform;
  const arch = { x64: "amd64", arm64: "arm64", ia32: "386" }[process.arch] ?? process.arch;
  return `${osName}_${arch}`;
}

const nodeVersion = (node) => execFileSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();

/**
 * The Node binary for `platform` at `version`: the registry's node-<os>-<arch> package (what the
 * `node` npm package installs), fetched with `npm pack` into `cache` (reused when there).
 */
function fetchNode(platform, version, cache) {
  const [o, a] = platform.split("_");
  if (!NODE_OS[o] || !NODE_ARCH[a]) throw new Error(`no Node package for ${platform}`);
  const pkg = `node-${NODE_OS[o]}-${NODE_ARCH[a]}`;
  const dir = path.join(cache, `${pkg}-${version}`);
  const bin = path.join(dir, "package", "bin", "node");
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", `${pkg}@${version}`, "--pack-destination", dir, "--silent"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
  execFileSync("tar", ["-xzf", path.join(dir, out.trim().split("\n").pop()), "-C", dir, "package/bin/node"]);
  return bin;
}

const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/**
 * Builds the release into `out`. Returns { version, dir, zips: {platform: file}, sums, manifest,
 * mirror, skipped: {platform: reason}, exe (this machine's executable) }.
 */
function release({ out = path.join(ROOT, "dist", "release"), version = require(path.join(ROOT, "package.json")).version, platforms, required = false, dist, cache = path.join(os.tmpdir(), "terraform-provider-otterscale-release-cache"), seaOut = path.join(ROOT, "dist", "sea", NAME), log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const host = hostPlatform();
  const wanted = platforms ?? DEFAULT_PLATFORMS;
  const node = sea.DEFAULT_NODE;
  const nodeVer = nodeVersion(node);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const work = path.join(out, ".build");
  sea.bundle(work, dist);

  const zips = {};
  const skipped = {};
  let exe;
  for (const platform of wanted) {
    const target = path.join(work, platform, `${NAME}_v${version}`);
    try {
      if (platform === host) {
        exe = sea.inject(node, sea.blob(work, node, { codeCache: true }), target);
      } else {
        const runtime = fetchNode(platform, nodeVer, cache);
        sea.inject(runtime, sea.blob(work, node, { codeCache: false }), target);
      }
    } catch (e) {
      if (required) throw new Error(`${platform}: ${e.message}`);
      skipped[platform] = e.message.split("\n")[0];
      log(`release: skipped ${platform}: ${skipped[platform]}`);
      continue;
    }
    const zip = path.join(out, `${NAME}_${version}_${platform}.zip`);
    writeZip(zip, [{ name: path.basename(target), file: target, mode: 0o755 }]);
    zips[platform] = zip;
  }
  if (!exe) throw new Error(`release: the executable for this machine (${host}) was not built; platforms: ${wanted.join(", ")}`);

  const manifest = path.join(out, `${NAME}_${version}_manifest.json`);
  fs.writeFileSync(manifest, `${JSON.stringify({ version: 1, metadata: { protocol_versions: ["6.0"] } }, null, 2)}\n`);
  const sums = path.join(out, `${NAME}_${version}_SHA256SUMS`);
  const files = [...Object.values(zips), manifest].map((f) => path.basename(f)).sort();
  fs.writeFileSync(sums, files.map((f) => `${sha256(path.join(out, f))}  ${f}\n`).join(""));

  const mirror = path.join(out, "mirror");
  packedMirror(mirror, Object.values(zips));
  if (seaOut) {
    fs.mkdirSync(path.dirname(seaOut), { recursive: true });
    fs.copyFileSync(exe, seaOut);
    fs.chmodSync(seaOut, 0o755);
  }
  fs.rmSync(work, { recursive: true, force: true });
  return { version, dir: out, zips, sums, manifest, mirror, skipped, exe: seaOut };
}

/** Copies release zips into `dir` in Terraform's packed filesystem-mirror layout. */
function packedMirror(dir, zips) {
  const pkgDir = path.join(dir, HOST, NAMESPACE, TYPE);
  fs.mkdirSync(pkgDir, { recursive: true });
  for (const zip of zips) fs.copyFileSync(zip, path.join(pkgDir, path.basename(zip)));
  return pkgDir;
}

module.exports = { release, packedMirror, hostPlatform, fetchNode, NAME, HOST, NAMESPACE, TYPE };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const platforms = opt("--platforms")?.split(",");
  try {
    const t0 = Date.now();
    const r = release({ out: opt("--out") ? path.resolve(opt("--out")) : undefined, version: opt("--version"), platforms, required: Boolean(platforms) });
    const rel = (f) => path.relative(process.cwd(), f);
    process.stdout.write(
      `release ${r.version} in ${((Date.now() - t0) / 1000).toFixed(0)} s:\n` +
        [...Object.values(r.zips), r.sums, r.manifest].map((f) => `  ${rel(f)} (${(fs.statSync(f).size / 1e6).toFixed(1)} MB)\n`).join("") +
        `  ${rel(r.mirror)}/ (filesystem mirror: terraform init -plugin-dir=${r.mirror})\n` +
        `  ${rel(r.exe)} (this machine's executable, used by bin/${NAME})\n` +
        Object.entries(r.skipped).map(([p, why]) => `  skipped ${p}: ${why}\n`).join(""),
    );
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
