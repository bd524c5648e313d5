/** The engines of the Pulumi layer: one per configuration, shared by every copy of this module, closed with the host. */
import { resolveConfig } from "../../provider/src/engine/config";
import { parseGpuDevicesEnv } from "../../provider/src/domain/gpu-devices";
import type { Engine } from "../../provider/src/engine/engine";
import { OWNER_INPUT } from "./owner";
import { openEngine } from "../../provider/src/api";
import { ReviewSession } from "../../provider/src/engine/review/session";
import { attachToHost } from "./host-hooks";
import { exitWithHost } from "./host-exit";
import { edgeError } from "./messages";
import { requireSupportedNode } from "./node-version";
import { stopOperations } from "./operations";
/** Stack configuration as `configure` saw it (`otterscale:ledgerUrl`, `otterscale:controllerUrl`, `otterscale:vclusterChartVersion`). */
export interface ProviderSettings {
  readonly ledgerUrl?: string;
  readonly controllerUrl?: string;
  readonly vclusterChartVersion?: string;
}

/** Inputs that belong to the Pulumi layer, never sent to the engine. */
export const FRONT_END_KEYS = new Set(["__provider", "adopt", OWNER_INPUT]);

// ------------------------------------------------------------------ engines, one per config

interface Slot {
  engine: Promise<Engine>;
  /**
   * Changes seen by `check` and not yet applied, by `kind:identity`, judged together by the
   * engine's rulebook (engine/review): Pulumi checks resources concurrently, and each must see the
   * others; steps run in parallel, so none is credited with what another frees.
   */
  session: ReviewSession;
}

const SLOTS = Symbol.for("otterscale-iac.pulumi.engines");

/** Process-wide, shared by every copy of this module (state may carry another path to it). */
function slots(): Map<string, Slot> {
  const g = globalThis as unknown as Record<symbol, Map<string, Slot> | undefined>;
  return (g[SLOTS] ??= new Map());
}

/**
 * Explicit settings, then stack config from `PULUMI_CONFIG` (the engine hands dynamic providers
 * the whole stack config there too), then OTTERSCALE_LEDGER_URL / OTTERSCALE_CONTROLLER_URL /
 * OTTERSCALE_HOME.
 */
export function resolveSettings(settings: ProviderSettings = {}, env: NodeJS.ProcessEnv = process.env) {
  let stack: Record<string, unknown> = {};
  try {
    stack = env.PULUMI_CONFIG ? (JSON.parse(env.PULUMI_CONFIG) as Record<string, unknown>) : {};
  } catch {
    stack = {};
  }
  const pick = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return resolveConfig(
    {
      ledgerUrl: pick(settings.ledgerUrl) ?? pick(stack["otterscale:ledgerUrl"]),
      controllerUrl: pick(settings.controllerUrl) ?? pick(stack["otterscale:controllerUrl"]),
      // Stack config holds objects as JSON text (`pulumi config set --path` or a YAML map).
      gpuDevices: parseGpuDevicesEnv(pick(stack["otterscale:gpuDevices"]), "otterscale:gpuDevices"),
      vclusterChartVersion: pick(settings.vclusterChartVersion) ?? pick(stack["otterscale:vclusterChartVersion"]),
    },
    env,
  );
}

export function slotFor(settings: ProviderSettings): Slot {
  const c = resolveSettings(settings);
  const key = JSON.stringify([c.ledgerUrl, c.controllerUrl, c.gpuDevices, c.vclusterChartVersion]);
  let slot = slots().get(key);
  if (!slot) {
    const engine = openChecked({ ledgerUrl: c.ledgerUrl, controllerUrl: c.controllerUrl, home: c.home, gpuDevices: c.gpuDevices, vclusterChartVersion: c.vclusterChartVersion });
    slot = { engine, session: new ReviewSession(() => engine) };
    slots().set(key, slot);
    // A failed open must not poison the cache: the next call tries again.
    engine.catch(() => slots().delete(key));
    closeOnExit();
  }
  return slot;
}

/** Opens an engine on a Node.js that can run it (else says which Node is needed, not which module is missing). */
export async function openChecked(config: Parameters<typeof openEngine>[0]): Promise<Engine> {
  requireSupportedNode();
  return openEngine(config);
}

/**
 * A program (or a test) that ends with engines open closes them: an open PostgreSQL pool would
 * keep the process alive until its idle timeout. `beforeExit` comes once the event loop is empty;
 * closing empties the cache, so it does not come back for more.
 */
function closeOnExit(): void {
  const g = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (g[CLOSE_ON_EXIT]) return;
  g[CLOSE_ON_EXIT] = true;
  process.on("beforeExit", () => {
    if (slots().size) void closeEngines();
  });
}
const CLOSE_ON_EXIT = Symbol.for("otterscale-iac.pulumi.closeOnExit");

// In Pulumi's dynamic-provider host: honour the Cancel RPC and request timeouts, and settle what
// runs when the host is told to end or Pulumi is gone (host-hooks.ts, host-exit.ts).
if (attachToHost(() => stopOperations("Pulumi cancelled the update"))) exitWithHost(closeEngines);

/** The engine for these settings: opened once per process and configuration, then reused. */
export async function engineFor(settings: ProviderSettings = {}): Promise<Engine> {
  return slotFor(settings).engine.catch((e: unknown) => {
    throw edgeError(e);
  });
}

/** Closes every cached engine (tests, benchmarks; the host process simply exits). */
export async function closeEngines(): Promise<void> {
  const all = [...slots().values()];
  slots().clear();
  await Promise.all(all.map((s) => s.engine.then((e) => e.close()).catch(() => undefined)));
}

// ------------------------------------------------------------------ conversions
