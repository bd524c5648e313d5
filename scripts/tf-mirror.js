#!/usr/bin/env node
// Builds a Terraform filesystem mirror for offline installs:
//   node scripts/tf-mirror.js DIR          (`npm run tf:mirror -- DIR`, which runs `npm run release` first)
// copies the release zips (dist/release/, scripts/release.js) into DIR in Terraform's packed layout,
// DIR/registry.terraform.io/otterscale/otterscale/terraform-provider-otterscale_VERSION_OS_ARCH.zip:
// the same artifacts a user downloads.
//   node scripts/tf-mirror.js DIR --dev [--version 0.1.0]
// (development, `buildMirror`) writes the unpacked layout
// DIR/registry.terraform.io/otterscale/otterscale/VERSION/OS_ARCH/terraform-provider-otterscale_vVERSION,
// a two-line wrapper that execs <repo>/bin/terraform-provider-otterscale (a copy of the bin script
// would not find the repo once terraform copies it into .terraform/), so it runs this checkout's
// current build. Then either
//   terraform init -plugin-dir=DIR
// or a CLI config (TF_CLI_CONFIG_FILE) with
//   provider_installation { filesystem_mirror { path = "DIR" include = ["otterscale/otterscale"] } direct { exclude = ["otterscale/otterscale"] } }
// `dist/` must be built (npm run build) before terraform runs the provider.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

function platform() {
  const os = { linux: "linux", darwin: "darwin", win32: "windows" }[process.platform] ?? process.platform;
  const arch = { x64: "amd64", arm64: "arm64", ia32: "386" }[process.arch] ?? process.arch;
  return `${os}_${arch}`;
}

/** Creates the mirror under `dir`; returns the path of the provider executable. */
function buildMirror(dir, version = require(path.join(ROOT, "package.json")).version, target = platform()) {
  const pkgDir = path.join(path.resolve(dir), "registry.terraform.io", "otterscale", "otterscale", version, target);
  fs.mkdirSync(pkgDir, { recursive: true });
  const exe = path.join(pkgDir, `terraform-provider-otterscale_v${version}`);
  const wrapper = path.join(ROOT, "bin", "terraform-provider-otterscale");
  fs.writeFileSync(exe, `#!/usr/bin/env bash\nexec ${JSON.stringify(wrapper)} "$@"\n`, { mode: 0o755 });
  fs.chmodSync(exe, 0o755);
  return exe;
}

/** A CLI config that installs otterscale/otterscale from the mirror and everything else as usual. */
function mirrorCliConfig(dir) {
  return `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(path.resolve(dir))}\n    include = ["otterscale/otterscale"]\n  }\n  direct {\n    exclude = ["otterscale/otterscale"]\n  }\n}\n`;
}

/** The release zips of dist/release (built by `npm run release`) copied into `dir`, packed layout. */
function releaseMirror(dir, releaseDir = path.join(ROOT, "dist", "release")) {
  const zips = fs.existsSync(releaseDir) ? fs.readdirSync(releaseDir).filter((f) => /^terraform-provider-otterscale_.*\.zip$/.test(f)) : [];
  if (!zips.length) throw new Error(`no release zips in ${releaseDir}: run 'npm run release' first`);
  return require("./release").packedMirror(dir, zips.map((f) => path.join(releaseDir, f)));
}

module.exports = { buildMirror, releaseMirror, mirrorCliConfig, platform };

if (require.main === module) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith("--"));
  if (!dir) {
    process.stderr.write("usage: node scripts/tf-mirror.js DIR [--dev [--version X.Y.Z]]\n");
    process.exit(2);
  }
  const vi = args.indexOf("--version");
  let wrote;
  try {
    wrote = args.includes("--dev") ? buildMirror(dir, vi >= 0 ? args[vi + 1] : undefined) : releaseMirror(dir);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`wrote ${wrote}\n\nUse: terraform init -plugin-dir=${path.resolve(dir)}\nor this CLI config (TF_CLI_CONFIG_FILE):\n\n${mirrorCliConfig(dir)}`);
}
