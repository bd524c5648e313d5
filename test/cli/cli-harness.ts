/**
 * Runs the REAL `otterscale` CLI as a subprocess, the way an operator or a CI job does: the
 * compiled entry next to this compiled test (dist/ or a private outDir) on this Node, or the
 * `bin/otterscale` wrapper pointed at that entry. Each call gets the test's OTTERSCALE_HOME and
 * no inherited ledger/controller settings.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../terraform/tf-harness";

export const cliMain = (): string => path.resolve(__dirname, "..", "..", "provider", "src", "cli", "main.js");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly home: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run through bin/otterscale instead of `node main.js`. */
  readonly wrapper?: boolean;
  readonly timeoutMs?: number;
}

export function cli(args: readonly string[], o: CliOptions): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, OTTERSCALE_HOME: o.home, OTTERSCALE_CLI_JS: cliMain(), ...o.env };
  for (const k of ["OTTERSCALE_LEDGER_URL", "OTTERSCALE_CONTROLLER_URL", "NO_COLOR"]) if (!o.env || !(k in o.env)) delete env[k];
  const [cmd, argv] = o.wrapper ? [path.join(repoRoot(), "bin", "otterscale"), [...args]] : [process.execPath, [cliMain(), ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs the CLI with `--output json`, expects `code`, returns the parsed stdout. */
export async function cliJson<T = Record<string, unknown>>(args: readonly string[], o: CliOptions, code = 0): Promise<T> {
  const r = await cli([...args, "--output", "json"], o);
  if (r.code !== code) throw new Error(`otterscale ${args.join(" ")}: exit ${r.code}, expected ${code}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Table lines as arrays of cells split on runs of 2+ spaces. */
export const rowsOf = (stdout: string): string[][] =>
  stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s{2,}/));
