/**
 * The CLI's exit codes and the one place where failures become them (errors are translated at
 * the edge, never inside the engine).
 *
 * | code | meaning |
 * | ---- | ------- |
 * | 0    | success; nothing to report |
 * | 1    | usage or configuration error (bad option, unreadable or malformed input file, bad URL) |
 * | 2    | the reviewed change cannot apply (report), or findings a dry run would settle (reconcile) |
 * | 3    | the ledger or the controller cannot be reached or failed |
 */
import { OtterscaleError } from "../domain/errors";
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

/**
 * Exit code of a failure:
 * - CliError: its own code;
 * - domain `config`: 1, unless the message says the backend could not be reached (a PostgreSQL
 *   server that refuses, bad credentials, a missing database): 3;
 * - domain `invalid_input`, `not_found`: 1 (what the user asked for is wrong);
 * - domain `unavailable`, `busy` (another writer held the ledger's lock), `controller_failed`,
 *   `timeout`, `conflict`: 3 (the backend failed us; retry);
 * - anything else (a raw I/O error from a driver): 3.
 */
export function exitCodeOf(e: unknown): ExitCode {
  if (e instanceof CliError) return e.exitCode;
  if (OtterscaleError.isInstance(e)) {
    switch (e.code) {
      case "unavailable":
      case "busy":
        return EXIT.unreachable;
      case "config":
        return /cannot reach|authentication failed|does not exist|create it first|cannot create/i.test(e.message) ? EXIT.unreachable : EXIT.usage;
      case "invalid_input":
      case "not_found":
        return EXIT.usage;
      case "quota_exceeded":
      case "unplaceable":
      case "in_use":
      case "protected":
      case "already_exists":
      case "owned":
        return EXIT.findings;
      default:
        return EXIT.unreachable;
    }
  }
  return EXIT.unreachable;
}

/** The message to print for a failure: domain errors carry their code; never a stack trace. */
export function messageOf(e: unknown): string {
  if (OtterscaleError.isInstance(e)) return `${e.message} (${e.code})`; // built with redacted URLs
  // Anything else may quote a URL it was given, credentials and all: mask them as a safety net.
  return redactInText(e instanceof Error ? e.message : String(e));
}
