/**
 * The CLI's exit codes and the one place where failures become them (errors are translated at
 * the edge, never inside the engine).
 *
 * | code | meaning |
 * | ---- | ------- |
 * | 0    | success; nothing to report |
 * | 1    | usage or configuration error (bad option, unreadable or malformed input file, bad URL) |
 * | 2    | the reviewed change cannot apply (report), findings a dry run would settle (reconcile), or totals that differ from their rows (ledger check) |
 * | 3    | the ledger or the controller cannot be reached or failed |
 */
import { ERROR_CODES, OtterscaleError, type Outcome } from "../domain/errors";
import { redactInText } from "../domain/redact";

export const EXIT = {
  ok: 0,
  usage: 1,
  findings: 2,
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI itself detected, with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The exit code of each outcome (domain/errors.ts ERROR_CODES says which code has which). */
const BY_OUTCOME: Record<Outcome, ExitCode> = { usage: EXIT.usage, refused: EXIT.findings, backend: EXIT.unreachable };

/**
 * Exit code of a failure: a CliError's own; a domain error's by its code's outcome (`config`,
 * `invalid_input`, `not_found`: 1; verdicts on the change: 2; `unreachable`, `authentication`,
 * `unavailable`, `busy`, `conflict`, `timeout`, `controller_failed`, `internal`: 3); anything else
 * (a raw I/O error from a driver) is `internal`: 3.
 */
export function exitCodeOf(e: unknown): ExitCode {
  if (e instanceof CliError) return e.exitCode;
  return BY_OUTCOME[OtterscaleError.isInstance(e) ? ERROR_CODES[e.code].outcome : ERROR_CODES.internal.outcome];
}

/** The message to print for a failure: domain errors carry their code; never a stack trace. */
export function messageOf(e: unknown): string {
  if (OtterscaleError.isInstance(e)) return `${e.message} (${e.code})`; // built with redacted URLs
  // Anything else may quote a URL it was given, credentials and all: mask them as a safety net.
  return redactInText(e instanceof Error ? e.message : String(e));
}
