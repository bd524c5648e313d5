/**
 * Chooses the backend controllers from `controller_url`. Adapters are looked up by URL scheme;
 * only the embedded `gitops` adapter ships today, the others fail with a configuration error that
 * says so (never a silent fallback that would write somewhere unexpected).
 */
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { OtterscaleError } from "../domain/errors";
import { GitopsControllers } from "./gitops";
import type { Controllers } from "./types";

const SUPPORTED = "gitops:///absolute/dir (embedded default), kubernetes://, maas://";

/** `gitops://` + `<home>/manifests`: the embedded default under $OTTERSCALE_HOME. */
export function defaultControllerUrl(home: string): string {
  return `gitops://${path.join(path.resolve(home), "manifests")}`;
}

/**
 * Opens the controllers named by `url`.
 *
 * Example: `openControllers("gitops:///srv/otterscale/manifests")` creates the directory and
 * returns file-backed controllers; `openControllers("kubernetes://")` throws a `config` error.
 */
export function openControllers(url: string): Controllers {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "gitops":
      return openGitops(url);
    case "kubernetes":
    case "maas":
      throw new OtterscaleError(
        "config",
        `controller_url ${scheme}://...: the ${scheme} controller adapter is not available yet in this build; use gitops:///absolute/dir`,
        [{ path: "controller_url", message: `the ${scheme} adapter is not available yet` }],
      );
    default:
      throw new OtterscaleError(
        "config",
        `controller_url ${JSON.stringify(redact(url))} is not supported; use one of: ${SUPPORTED}`,
        [{ path: "controller_url", message: `unsupported scheme; use one of: ${SUPPORTED}` }],
      );
  }
}

/** The directory is taken literally after `gitops://` (no percent-decoding): `gitops:///a b` is `/a b`. */
function openGitops(url: string): Controllers {
  const dir = url.slice("gitops://".length);
  if (!path.isAbsolute(dir)) {
    throw new OtterscaleError("config", `controller_url ${JSON.stringify(url)}: expected gitops:///absolute/dir (three slashes, absolute path)`, [
      { path: "controller_url", message: "expected gitops:///absolute/dir" },
    ]);
  }
  const root = path.resolve(dir);
  try {
    mkdirSync(root, { recursive: true });
  } catch (e) {
    throw new OtterscaleError("config", `controller_url ${JSON.stringify(url)}: cannot create ${root} (${(e as NodeJS.ErrnoException).code ?? "error"})`, [
      { path: "controller_url", message: `cannot create ${root}` },
    ]);
  }
  return new GitopsControllers(url, root);
}

/** URLs may carry credentials (`maas://key@host`, `x://user:pass@host`); never echo them. */
function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//***@");
}
