/**
 * What every command gets: resolved configuration, a printer, and an engine opened WITHOUT the
 * settle-on-open step `openEngine` performs. The CLI must be able to look (inventory, a
 * reconcile dry run) without changing anything, so only `reconcile --apply` settles rows.
 */
import * as fs from "node:fs";
import { openControllers } from "../controllers/registry";
import { Engine } from "../engine/engine";
import { resolveConfig, type ResolvedConfig } from "../engine/config";
import { openLedger, redactUrl } from "../ledger/open";
import { CliError, EXIT } from "./exit-codes";
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
 * The engine over the configured ledger and controllers. A SQLite ledger file that does not
 * exist is an error (exit 3) rather than a new empty ledger: a mistyped OTTERSCALE_HOME must not
 * look like an empty estate.
 */
export async function openCliEngine(config: ResolvedConfig): Promise<Engine> {
  if (config.ledgerUrl.startsWith("sqlite://")) {
    const file = decodeURIComponent(config.ledgerUrl.slice("sqlite://".length));
    if (file.startsWith("/") && !fs.existsSync(file)) {
      throw new CliError(
        `no ledger at ${file}: nothing has been applied with this configuration yet; set --ledger-url, OTTERSCALE_LEDGER_URL or OTTERSCALE_HOME to the ledger your providers use`,
        EXIT.unreachable,
      );
    }
  }
  const controllers = openControllers(config.controllerUrl);
  let ledger;
  try {
    ledger = await openLedger(config.ledgerUrl);
  } catch (e) {
    await controllers.close?.();
    throw e;
  }
  return new Engine(ledger, controllers, config.leaseMs);
}

/** The ledger URL for messages (password hidden). */
export const ledgerLabel = (c: ResolvedConfig): string => redactUrl(c.ledgerUrl);
