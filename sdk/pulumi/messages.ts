/**
 * Engine messages as Pulumi users read them: the one place the Pulumi layer rewords anything.
 *
 * The engine speaks Terraform's language (snake_case attributes, `terraform import`, "apply"), and
 * the Terraform layer passes its text on as is. Here, at the edge, every message the Pulumi layer
 * hands out (errors and check failures) gets:
 *  - attribute names, and the quota dimensions named after them, in camelCase
 *    (`cpu_cores requested 6` -> `cpuCores requested 6`); map keys and values are left alone;
 *  - the remedy in Pulumi's words, which the engine hands over beside Terraform's (domain/errors.ts
 *    Remedy: `adopt: true` instead of `terraform import`, `pulumi up` instead of apply); no
 *    message text is matched.
 * Nothing here decides anything: the facts are the engine's, only the words change.
 */
import { log } from "@pulumi/pulumi";
import { asDomainError, OtterscaleError } from "../../provider/src/domain/errors";
import { DATA_SOURCE_KINDS, RESOURCE_KINDS, schemaOf, type SchemaNode } from "../../provider/src/catalog/catalog";
import { inDynamicProviderHost } from "./host-hooks";
import { snakeToCamel } from "./names";

/** snake_case attribute names of every schema at any depth, and the quota dimensions `max_*` / `used_*` name. */
function attributeNames(): ReadonlySet<string> {
  const names = new Set<string>();
  const walk = (node: SchemaNode | undefined) => {
    for (const [k, p] of Object.entries(node?.properties ?? {})) {
      names.add(k);
      const dimension = /^(?:max|used)_(.+)$/.exec(k);
      if (dimension) names.add(dimension[1]);
      walk(p);
      walk(p.items);
    }
  };
  for (const kind of [...RESOURCE_KINDS, ...DATA_SOURCE_KINDS]) walk(schemaOf(kind));
  return new Set([...names].filter((n) => n.includes("_")));
}

let names: ReadonlySet<string> | undefined;
const SNAKE_WORD = /(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])/g;

/** `message` (already carrying Pulumi's remedy, if any) with Pulumi's attribute names. */
export function pulumiMessage(message: string): string {
  names ??= attributeNames();
  return message.replace(SNAKE_WORD, (w) => (names!.has(w) ? snakeToCamel(w) : w));
}

/**
 * An error as the Pulumi layer hands it out: the message (what gRPC returns) without a stack
 * trace, since these are verdicts, not bugs. In the dynamic-provider host, which logs a failed
 * check, diff, read or delete as `${e}: ${e.stack}` (with a plain Error, the message twice on one
 * line), `${e}` is the product's name, so the line reads "otterscale-iac: <message>" once.
 * Elsewhere (a program's data sources, mocks) it prints as any Error does.
 */
export class PulumiEdgeError extends Error {
  constructor(
    message: string,
    readonly code: string,
    private readonly inHost: boolean = inDynamicProviderHost(),
  ) {
    super(message);
    this.stack = message;
    if (inHost) this.name = "otterscale-iac";
  }

  override toString(): string {
    return this.inHost ? this.name : super.toString();
  }
}

/**
 * Any error as Pulumi should print it: reworded, no stack trace. Anything that is not an engine
 * error becomes `internal` with a fix-it message; its stack goes to Pulumi's debug log only.
 */
export function edgeError(raised: unknown, context = "running the provider"): Error {
  const e = asDomainError(raised, context);
  if (!OtterscaleError.isInstance(raised) && typeof e.details.stack === "string") debugLog(e.details.stack);
  return new PulumiEdgeError(pulumiMessage(e.inWords("pulumi")), e.code);
}

/** Pulumi's debug log (shown with `-v=9 --logtostderr`); silent when the SDK's log is unavailable. */
function debugLog(text: string): void {
  // Without an engine to log to (a plain program under mocks) the SDK drops debug lines.
  log.debug(text).catch(() => undefined);
}
