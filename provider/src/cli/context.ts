/**
 * What every command gets: resolved configuration, a printer, and an engine opened WITHOUT the
 * settle-on-open step `openEngine` performs. The CLI must be able to look (inventory, a
 * reconcile dry run) without changing anything, so only `reconcile --apply` settles rows.
 */
import { ledgerAdmin, openEngine, type Engine } from "../api";
import { resolveConfig, type ResolvedConfig } from "../engine/config";
import { createPrinter, type OutputFormat, type Printer } from "./output/printer";

/** Global options as commander parses them. */
export interface GlobalOptions {
  readonly ledgerUrl?: string;
  readonly controllerUrl?: string;
  readonly output: OutputFormat;
  /** False with `--no-color`. */
  readonly color: boolean;
  readonly quiet?: boolean;
}

export interface CliContext {
  readonly config: ResolvedConfig;
  readonly out: Printer;
  /** Opens the engine, runs `fn`, always closes it. */
  withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T>;
}

export function contextOf(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = resolveConfig({ ledgerUrl: g.ledgerUrl, controllerUrl: g.controllerUrl }, env);
  const out = createPrinter({ format: g.output, color: g.color, quiet: g.quiet });
  return {
    config,
    out,
    async withEngine(fn) {
      const engine = await openCliEngine(config);
      try {
        return await fn(engine);
      } finally {
        await engine.close();
      }
    },
  };
}

/**
 * The engine over the configured ledger and controllers. The CLI never creates a ledger (only
 * `ledger init` and `ledger migrate --to` do): a ledger that does not exist, the default
 * location included, is openLedger's `config` error (exit 3), so a mistyped OTTERSCALE_HOME
 * never looks like an empty estate.
 */
export function openCliEngine(config: ResolvedConfig): Promise<Engine> {
  return openEngine({ ledgerUrl: config.ledgerUrl, controllerUrl: config.controllerUrl, home: config.home, leaseMs: config.leaseMs, gpuDevices: config.gpuDevices, vclusterChartVersion: config.vclusterChartVersion, createLedger: false });
}

/** The ledger URL for messages (password hidden). */
export const ledgerLabel = (c: ResolvedConfig): string => ledgerAdmin.label(c.ledgerUrl);
