/**
 * V8's on-disk compile cache for the provider's own JavaScript (Node >= 22.1), enabled before any
 * other module loads. Terraform starts a provider process per graph walk (three for a plan, four
 * or five for an apply or destroy) and each one compiled the same ~300 modules from source: about
 * 0.1 s of CPU per process (bench/plan-profile.ts, `wrapSafe`). Node keeps the cache under the
 * temp directory, keyed by Node version and file content, so a rebuilt checkout never runs stale
 * code; NODE_DISABLE_COMPILE_CACHE=1 turns it off. The self-contained executable carries its own
 * code cache (scripts/sea.js) and skips this.
 */
import * as nodeModule from "node:module";

function enable(): void {
  const m = nodeModule as { enableCompileCache?: () => unknown };
  if (typeof m.enableCompileCache !== "function") return;
  try {
    if ((require("node:sea") as { isSea(): boolean }).isSea()) return;
  } catch {
    // no node:sea (older Node): not a self-contained executable
  }
  try {
    m.enableCompileCache();
  } catch {
    // an unwritable temp directory only costs the compile time saved
  }
}

enable();
