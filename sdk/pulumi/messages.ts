/**
 * Engine messages as Pulumi users read them: the one place the Pulumi layer rewords anything.
 *
 * The engine speaks Terraform's language (snake_case attributes, `terraform import`, "apply"), and
 * the Terraform layer passes its text on as is. Here, at the edge, every message the Pulumi layer
 * hands out (errors and check failures) gets:
 *  - attribute names, and the quota dimensions named after them, in camelCase
 *    (`cpu_cores requested 6` -> `cpuCores requested 6`); map keys and values are left alone;
 *  - the remedy of its error code the Pulumi way (REMEDIES: `adopt: true` instead of `terraform
 *    import`, `pulumi up` instead of apply).
 * Nothing here decides anything: the facts are the engine's, only the words change.
 */
import { OtterscaleError, type ErrorCode } from "../../provider/src/domain/errors";
import { DATA_SOURCE_KINDS, RESOURCE_KINDS, schemaOf, type SchemaNode } from "../../provider/src/schema/catalog";
import { inDynamicProviderHost } from "./host-hooks";
import { snakeToCamel } from "./names";

/** A Terraform remedy clause of the engine's messages and its Pulumi wording, per error code. */
interface Remedy {
  readonly code: ErrorCode;
  readonly terraform: RegExp;
  readonly pulumi: string;
}

const REMEDIES: readonly Remedy[] = [
  {
    code: "already_exists",
    terraform: /import it \(ID "[^"]*", format [^)]*\) or choose another name/,
    pulumi: "set `adopt: true` on the resource to take it over (see the README), or choose another name",
  },
  { code: "owned", terraform: /terraform import \(ID "[^"]*", format [^)]*\) or Pulumi `adopt: true`/, pulumi: "set `adopt: true` on the resource" },
  { code: "owned", terraform: /import it \(Terraform\) or adopt it \(Pulumi `adopt: true`\)/, pulumi: "set `adopt: true` on the resource" },
  { code: "protected", terraform: /set it to false and apply before destroying/, pulumi: "set deletionProtection to false and run `pulumi up` before destroying" },
  { code: "config", terraform: /\bfix ledger_url \//, pulumi: "fix otterscale:ledgerUrl /" },
];

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

/** `message` in Pulumi's words; `code` selects the remedy to reword. */
export function pulumiMessage(message: string, code?: string): string {
  names ??= attributeNames();
  let out = message;
  for (const r of REMEDIES) if (r.code === code) out = out.replace(r.terraform, r.pulumi);
  return out.replace(SNAKE_WORD, (w) => (names!.has(w) ? snakeToCamel(w) : w));
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

/** An engine error as Pulumi should print it: reworded, no stack trace. Other errors pass as they are. */
export function edgeError(e: unknown): Error {
  if (!OtterscaleError.isInstance(e)) return e instanceof Error ? e : new Error(String(e));
  return new PulumiEdgeError(pulumiMessage(e.message, e.code), e.code);
}
