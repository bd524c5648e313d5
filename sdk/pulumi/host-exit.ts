/**
 * How the dynamic-provider host ends without leaving reservations behind. Pulumi ends its plugins
 * with a signal (and Ctrl-C reaches them too); a Pulumi that was killed ends nothing, and its host
 * would live on with its operations. On SIGINT, SIGTERM, or when Pulumi is gone, the host stops
 * the operations in flight (each settles what it reserved), closes the engines (which wait for
 * late backend calls to settle), and exits: 130 / 143 for the signals, 1 when orphaned.
 *
 * "Pulumi is gone" is the parent process changing. Pulumi starts the host through a shell shim
 * (`pulumi-resource-pulumi-nodejs`, which runs node without exec), so when the parent is that shim
 * the shim's own parent is watched too: a killed Pulumi leaves the shim waiting for us, re-parented.
 */
import { readFileSync } from "node:fs";
import { watchParent } from "../../provider/src/terraform/parent-watch";
import { operationsInFlight, operationsSettled, stopOperations } from "./operations";

/** How long in-flight operations may take to settle before the host exits anyway. */
export const SETTLE_MS = 10_000;

const INSTALLED = Symbol.for("otterscale-iac.pulumi.hostExit");
const SHIM = "pulumi-resource-pulumi-nodejs";

/** Parent PID of `pid` from /proc (Linux); undefined elsewhere or when gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/**
 * Installs the signal handlers and the parent watch, once per process. `close` closes the engines.
 */
export function exitWithHost(close: () => Promise<void>): void {
  const g = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  let exiting = false;
  const end = (reason: string, code: number) => {
    if (exiting) return;
    exiting = true;
    const busy = operationsInFlight();
    if (busy) process.stderr.write(`otterscale-iac: ${reason}; stopping ${busy} operation(s) in flight and settling their reservations\n`);
    stopOperations(reason);
    setTimeout(() => process.exit(code), SETTLE_MS + 2000).unref(); // never linger, whatever hangs
    void operationsSettled(SETTLE_MS)
      .then(() => close())
      .catch(() => undefined)
      .finally(() => process.exit(code));
  };
  process.on("SIGINT", () => end("the host received SIGINT", 130));
  process.on("SIGTERM", () => end("the host received SIGTERM", 143));
  // Once Pulumi is gone our stderr is a pipe nobody reads: a failed write must not kill the settling.
  process.stderr.on("error", () => undefined);
  watchParent((was, now) => end(`Pulumi (parent process ${was}) is gone, re-parented to ${now}`, 1));
  const shim = process.ppid;
  if (commandLine(shim).includes(SHIM)) {
    watchParent((was, now) => end(`Pulumi (process ${was}, parent of the host's shim) is gone`, 1), { ppid: () => parentOf(shim) ?? -1 });
  }
}
