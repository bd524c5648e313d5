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
  | "config" // bad provider configuration (a setting's value, a location that is not this estate's)
  | "unreachable" // the configured ledger (or a backend) is not there: no such database or file, TLS refused
  | "authentication" // the ledger or a backend refused the credentials
  | "internal"; // not a domain error: a bug or an unexpected driver failure, translated at the edge

/** How a failure ends a CLI run; cli/exit-codes.ts maps these to numbers. */
export type Outcome = "usage" | "refused" | "backend";

/** What every front end needs to know of a code, so none of them matches message text. */
export interface CodeTraits {
  /** Short, stable summary (Terraform diagnostics, report headings); the message carries the facts. */
  readonly summary: string;
  /** `usage`: what was asked for is wrong; `refused`: a verdict on the change; `backend`: the ledger or a backend failed us. */
  readonly outcome: Outcome;
  /** Retrying the same call may succeed without any change (engine's bounded retry, Pulumi/Terraform advice). */
  readonly retryable: boolean;
}

export const ERROR_CODES: { readonly [C in ErrorCode]: CodeTraits } = {
  invalid_input: { summary: "Invalid attribute value", outcome: "usage", retryable: false },
  not_found: { summary: "Referenced object not found", outcome: "usage", retryable: false },
  already_exists: { summary: "Object already exists", outcome: "refused", retryable: false },
  owned: { summary: "Object belongs to another workspace or stack", outcome: "refused", retryable: false },
  quota_exceeded: { summary: "Tenant quota exceeded", outcome: "refused", retryable: false },
  unplaceable: { summary: "No server can host this resource", outcome: "refused", retryable: false },
  in_use: { summary: "Resource is in use", outcome: "refused", retryable: false },
  protected: { summary: "Deletion protection is enabled", outcome: "refused", retryable: false },
  conflict: { summary: "Concurrent change", outcome: "backend", retryable: true },
  controller_failed: { summary: "Backend controller failed", outcome: "backend", retryable: false },
  timeout: { summary: "Operation timed out", outcome: "backend", retryable: false },
  unavailable: { summary: "Ledger unavailable", outcome: "backend", retryable: true },
  busy: { summary: "Ledger busy", outcome: "backend", retryable: true },
  config: { summary: "Invalid provider configuration", outcome: "usage", retryable: false },
  unreachable: { summary: "Ledger or backend not found", outcome: "backend", retryable: false },
  authentication: { summary: "Authentication failed", outcome: "backend", retryable: false },
  internal: { summary: "Internal error", outcome: "backend", retryable: false },
};

/**
 * What the user should do, in each front end's words. The engine states facts; the remedy is
 * kept apart so Pulumi can say `adopt: true` where Terraform says `terraform import`, without
 * any front end rewriting message text.
 */
export interface Remedy {
  readonly terraform: string;
  readonly pulumi: string;
  /** Between the fact and the remedy: `; ` (default) or `. ` when the remedy is a sentence of its own. */
  readonly sep?: string;
}

export interface Problem {
  /** Attribute path, dotted (`placement.spread_domain`), when the problem is about one attribute. */
  readonly path?: string;
  readonly message: string;
}

const BRAND = Symbol.for("otterscale-iac.OtterscaleError");

export class OtterscaleError extends Error {
  readonly [BRAND] = true;
  /** The message without its remedy. */
  readonly fact: string;
  constructor(
    readonly code: ErrorCode,
    fact: string,
    /** Individual problems (one per attribute, per dimension or per rejected candidate). */
    readonly problems: readonly Problem[] = [],
    readonly details: Record<string, unknown> = {},
    readonly remedy?: Remedy,
  ) {
    // The message (Terraform, the CLI, logs) speaks Terraform's words; `inWords` gives Pulumi's.
    super(withRemedy(fact, remedy, "terraform"));
    this.fact = fact;
    this.name = "OtterscaleError";
  }

  /** The message with the remedy in `front`'s words. */
  inWords(front: keyof Omit<Remedy, "sep">): string {
    return withRemedy(this.fact, this.remedy, front);
  }

  /** Whether the same call may succeed if retried: the code's trait, or the raiser's say-so (`details.retryable`). */
  get retryable(): boolean {
    return typeof this.details.retryable === "boolean" ? this.details.retryable : ERROR_CODES[this.code].retryable;
  }

  /** Survives two copies of this library in one process (Pulumi serializes providers by value). */
  static isInstance(e: unknown): e is OtterscaleError {
    return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
  }
}

function withRemedy(fact: string, remedy: Remedy | undefined, front: "terraform" | "pulumi"): string {
  return remedy ? `${fact}${remedy.sep ?? "; "}${remedy[front]}` : fact;
}

/**
 * Any failure as a domain error: an OtterscaleError as it is, anything else as `internal` with a
 * fix-it message (the original stack is for the debug log, never for the user).
 */
export function asDomainError(e: unknown, context: string): OtterscaleError {
  if (OtterscaleError.isInstance(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new OtterscaleError("internal", `unexpected error while ${context}: ${message}`, [], { stack: e instanceof Error ? e.stack : undefined }, {
    terraform: "this is a bug in otterscale-iac or a failure it did not expect; run again with TF_LOG=debug and report the log (the stack trace is there)",
    pulumi: "this is a bug in otterscale-iac or a failure it did not expect; run again with `pulumi up --logtostderr -v=9` and report the log (the stack trace is there)",
  });
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
