/**
 * Glue between commander and the commands: builds the context from the global options, runs
 * the command and remembers its exit code for main.ts.
 */
import type { Command } from "commander";
import { contextOf, type CliContext, type GlobalOptions } from "./context";
import type { ExitCode } from "./exit-codes";

/** A command body: returns its exit code (errors are thrown and translated by main.ts). */
export type CommandBody<O> = (ctx: CliContext, opts: O) => Promise<ExitCode>;

export interface Runner {
  /** Wraps a body as a commander action handler. */
  action<O>(body: CommandBody<O>): (...args: unknown[]) => Promise<void>;
  /** The exit code of the command that ran (0 when none did). */
  readonly exitCode: ExitCode;
}

export function createRunner(env: NodeJS.ProcessEnv = process.env): Runner {
  let exitCode: ExitCode = 0;
  return {
    get exitCode() {
      return exitCode;
    },
    action<O>(body: CommandBody<O>) {
      return async (...args: unknown[]) => {
        // commander passes (...positionals, options, command)
        const cmd = args[args.length - 1] as Command;
        const opts = cmd.optsWithGlobals() as O & GlobalOptions;
        exitCode = await body(contextOf(opts, env), opts);
      };
    },
  };
}
