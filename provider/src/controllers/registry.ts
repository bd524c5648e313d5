/**
 * Chooses the backend controllers from `controller_url`, by URL scheme: `gitops` (embedded
 * default, files), `kubernetes` (server-side apply to a cluster), `maas` (bare-metal servers) and
 * `handoff` (nothing is applied: the rendered objects are only returned, in `manifests`).
 * Anything else is a configuration error (never a silent fallback that would write somewhere
 * unexpected).
 */
import * as path from "node:path";
import { OtterscaleError } from "../domain/errors";
import { redactControllerUrl } from "../domain/redact";
import { GitopsControllers } from "./gitops";
import { HandoffControllers } from "./handoff";
import type { Controllers } from "./types";

const SUPPORTED = "gitops:///absolute/dir (embedded default), kubernetes://, maas://, handoff://";

/** `gitops://` + `<home>/manifests`: the embedded default under $OTTERSCALE_HOME. */
export function defaultControllerUrl(home: string): string {
  return `gitops://${path.join(path.resolve(home), "manifests")}`;
}

/**
 * Opens the controllers named by `url`.
 *
 * Example: `openControllers("gitops:///srv/otterscale/manifests")` returns file-backed
 * controllers (the directory is created by the first write); `openControllers("kubernetes://?context=prod")` loads the
 * kubeconfig (a `config` error when there is none) and talks to the cluster on first use.
 */
export function openControllers(url: string): Controllers {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "gitops":
      return openGitops(url);
    // Loaded only when chosen: a process on gitops (the default) does not compile them.
    case "kubernetes":
      return (require("./kubernetes") as typeof import("./kubernetes")).openKubernetes(url);
    case "maas":
      return (require("./maas") as typeof import("./maas")).openMaas(url);
    case "handoff":
      return openHandoff(url);
    default:
      throw new OtterscaleError(
        "config",
        `controller_url ${JSON.stringify(redactControllerUrl(url))} is not supported; use one of: ${SUPPORTED}`,
        [{ path: "controller_url", message: `unsupported scheme; use one of: ${SUPPORTED}` }],
      );
  }
}

/** The directory is taken literally after `gitops://` (no percent-decoding): `gitops:///a b` is `/a b`. */
function openGitops(url: string): Controllers {
  const dir = url.slice("gitops://".length);
  if (!path.isAbsolute(dir)) {
    throw new OtterscaleError("config", `controller_url ${JSON.stringify(redactControllerUrl(url))}: expected gitops:///absolute/dir (three slashes, absolute path)`, [
      { path: "controller_url", message: "expected gitops:///absolute/dir" },
    ]);
  }
  // Not created here: opening is also what reads do, and reads never write. The first manifest
  // written creates it.
  const root = path.resolve(dir);
  return new GitopsControllers(redactControllerUrl(url), root);
}

/** `handoff://` takes no location and no options: anything after the scheme is a mistake. */
function openHandoff(url: string): Controllers {
  if (url !== "handoff://") {
    throw new OtterscaleError("config", `controller_url ${JSON.stringify(redactControllerUrl(url))}: expected exactly handoff:// (it writes nowhere, so it takes no location)`, [
      { path: "controller_url", message: "expected handoff://" },
    ]);
  }
  return new HandoffControllers(url);
}
