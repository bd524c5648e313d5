#!/usr/bin/env node
// Builds a Terraform filesystem mirror holding this checkout's provider, for offline installs:
//   node scripts/tf-mirror.js DIR [--version 0.1.0]
// writes DIR/registry.terraform.io/otterscale/otterscale/VERSION/OS_ARCH/terraform-provider-otterscale_vVERSION,
// a two-line wrapper that execs <repo>/bin/terraform-provider-otterscale (a copy of the bin script
// would not find the repo once terraform copies it into .terraform/). Then either
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

module.exports = { buildMirror, mirrorCliConfig, platform };

if (require.main === module) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith("--"));
  if (!dir) {
    process.stderr.write("usage: node scripts/tf-mirror.js DIR [--version X.Y.Z]\n");
    process.exit(2);
  }
  const vi = args.indexOf("--version");
  const exe = buildMirror(dir, vi >= 0 ? args[vi + 1] : undefined);
  process.stdout.write(`wrote ${exe}\n\nUse: terraform init -plugin-dir=${path.resolve(dir)}\nor this CLI config (TF_CLI_CONFIG_FILE):\n\n${mirrorCliConfig(dir)}`);
}
