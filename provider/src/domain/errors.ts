/**
 * Domain errors with stable machine codes. Decision code returns verdicts; these are raised by the
 * engine at its edge and translated to Terraform diagnostics, Pulumi check failures or CLI exit
 * codes by the front ends. Messages say what to change.
 */

export type ErrorCode =
  | "invalid_input" // schema or semantic validation failed
  | "not_found" // referenced object does not exist
  | "already_exists" // identity taken by a different spec
  | "quota_exceeded" // a tenant limit would be passed
  | "unplaceable" // no server (or not enough failure domains) fits
  | "in_use" // delete/shrink refused because of consumers or dependants
  | "protected" // deletion_protection
  | "conflict" // concurrent change, retry
  | "controller_failed" // backend controller call failed
  | "timeout"
  | "unavailable" // the ledger (or a backend) cannot be reached right now; the ledger transaction was rolled back, retry
  | "owned" // the object belongs to another Terraform workspace or Pulumi stack; take it over explicitly
  | "busy" // another writer held the ledger's write lock past the deadline; this transaction never started, retry
  | "config"; // bad provider configuration

export interface Problem {
  /** Attribute path, dotted (`placement.spread_domain`), when the problem is about one attribute. */
  readonly path?: string;
  readonly message: string;
}

const BRAND = Symbol.for("otterscale-iac.OtterscaleError");

export class OtterscaleError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Individual problems (one per attribute, per dimension or per rejected candidate). */
    readonly problems: readonly Problem[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "OtterscaleError";
  }

  /** Survives two copies of this library in one process (Pulumi serializes providers by value). */
  static isInstance(e: unknown): e is OtterscaleError {
    return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
  }
}

/**
 * An attribute path as users write it: list indexes in brackets.
 *
 * Example: `displayPath("gpus.0.count")` -> `"gpus[0].count"`.
 */
export function displayPath(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
}

export function invalid(problems: Problem[], subject: string): OtterscaleError {
  const lines = problems.map((p) => (p.path ? `${displayPath(p.path)}: ${p.message}` : p.message));
  return new OtterscaleError("invalid_input", `invalid ${subject}: ${lines.join("; ")}`, problems);
}
