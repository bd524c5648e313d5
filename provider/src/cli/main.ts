/**
 * Entry of the `otterscale` executable (bin/otterscale). Translates every failure into a message
 * on stderr and an exit code (see exit-codes.ts); never prints a stack trace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CommanderError } from "commander";
import { EXIT, exitCodeOf, messageOf, type ExitCode } from "./exit-codes";
import { buildProgram } from "./program";
import { createRunner } from "./runner";

function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "otterscale-iac") return pkg.version ?? "0.0.0";
    }
  }
  return "0.0.0";
}

/** Runs the CLI on `argv` (process.argv shape) and returns the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<ExitCode> {
  const run = createRunner();
  const program = buildProgram(run, packageVersion());
  const json = argv.some((a, i) => a === "--output=json" || a === "-ojson" || ((a === "--output" || a === "-o") && argv[i + 1] === "json"));
  try {
    await program.parseAsync([...argv]);
    return run.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed help, the version or its error message; --help and --version exit 0.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const code = exitCodeOf(e);
    process.stderr.write(`otterscale: ${messageOf(e)}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { message: messageOf(e), exit_code: code } }, null, 2)}\n`);
    return code;
  }
}

/**
 * A reader that stops early (`otterscale inventory | head -1`) closes the pipe: that is a normal
 * end for a command-line tool, not a crash with a stack trace.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT.ok);
    throw e;
  });
}

if (require.main === module) {
  endQuietlyOnClosedPipe();
  main().then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`otterscale: ${messageOf(e)}\n`);
      process.exitCode = EXIT.unreachable;
    },
  );
}
