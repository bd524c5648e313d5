/** Check: schema validation, then the quota/placement dry run of this change together with the others of the preview (engine/review). */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { Engine } from "../../provider/src/engine/engine";
import { actingOwner, OWNER_INPUT, ownerIn, UNRECORDED_OWNER } from "./owner";
import type { PlannedChange } from "../../provider/src/api";
import { type Problem } from "../../provider/src/domain/errors";
import { schemaOf, type ResourceKind } from "../../provider/src/catalog/catalog";
import { adoptionRefusal } from "./adoption";
import { edgeError, pulumiMessage } from "./messages";
import { camelPath, toSpelling } from "./names";
import { guessed, knownProblems, splitUnknowns, withoutPlaceholder, withPlaceholderName } from "./unknowns";
import { type ProviderSettings, engineFor, slotFor } from "./runtime-engines";
import { identityOf, isCode, toEngine, unwrapSecrets, type Props } from "./runtime-convert";
import { diff } from "./runtime-diff";
/** A problem the Pulumi layer reports: snake_case path and the engine's words, with its error code. */
type Finding = Problem & { readonly code?: string; readonly pulumiDetail?: string };

/**
 * Schema validation (failures name the camelCase attribute), then the quota/placement dry run of
 * this change together with every other change this process has checked and not yet applied, so
 * a preview whose creates together pass a quota fails here. Returns the inputs with defaults.
 *
 * Values not known yet (a preview, computed by other resources) are cut out and everything the
 * known ones decide is still judged (unknowns.ts): a bad known value fails, and an unknown `name`
 * does not stop the dry run of known tenant, group and sizes.
 */
export async function check(kind: ResourceKind, olds: Props, news: Props, settings: ProviderSettings = {}): Promise<dynamic.CheckResult> {
  const schema = schemaOf(kind);
  const { known, unknown, placeholder } = withPlaceholderName(kind, splitUnknowns(toEngine(kind, news)));
  const failure = (f: Finding): dynamic.CheckFailure => ({
    property: f.path ? camelPath(f.path, schema) : "",
    reason: withoutPlaceholder(pulumiMessage(f.pulumiDetail ?? f.message), placeholder),
  });
  const engine = await engineFor(settings);
  let validated: ReturnType<Engine["validate"]>;
  try {
    validated = engine.validate(kind, known);
  } catch (e) {
    if (!isCode(e, "invalid_input")) throw edgeError(e);
    const real = knownProblems(e.problems, unknown);
    // Only values not known yet are missing or wrong: judged at apply time.
    if (!real.length && unknown.length) return { inputs: news };
    return { inputs: news, failures: (real.length ? real : [{ message: e.message }]).map((p) => failure({ ...p, code: e.code })) };
  }
  // A default standing in for a value that is only unknown would make the dry run judge a guess.
  if (guessed(validated.spec, unknown)) return { inputs: news };
  const adopt = unwrapSecrets(news.adopt) === true;
  // An existing resource acts as the owner its state recorded (a rename keeps it); a new one as its stack#name.
  const owner = identityOf(kind, olds) ? actingOwner(olds, news) : ownerIn(news);
  const failures = (await dryRun(kind, olds, validated.spec, validated.key, unknown, settings, adopt, owner)).map(failure);
  // With values still unknown, Pulumi needs the inputs as they came (unknowns included).
  if (unknown.length || placeholder) return failures.length ? { inputs: news, failures } : { inputs: news };
  const inputs: Props = toSpelling(validated.spec, schema, "camel") as Props;
  if (news.adopt !== undefined) inputs.adopt = news.adopt;
  if (owner && owner !== UNRECORDED_OWNER) inputs[OWNER_INPUT] = owner;
  return failures.length ? { inputs, failures } : { inputs };
}


async function dryRun(kind: ResourceKind, olds: Props, spec: Props, key: string, unknown: readonly string[], settings: ProviderSettings, adopt: boolean, owner?: string): Promise<Finding[]> {
  const slot = slotFor(settings);
  const engine = await slot.engine;
  const address = `${kind}:${key}`;
  // `adopt: true` on an object the ledger has: the create adopts it and updates it in place, which
  // apply refuses when a force-new attribute differs. Refused here the same way.
  const adopted = adopt && !identityOf(kind, olds) ? await engine.queries.recordedSpec(kind, key) : undefined;
  const refused = adopted && adoptionRefusal(kind, key, adopted, spec);
  if (refused) return [{ path: refused.problems.length === 1 ? refused.problems[0].path : undefined, message: refused.message, pulumiDetail: refused.inWords("pulumi"), code: refused.code }];
  const oldKey = adopted ? key : identityOf(kind, olds);
  const extra = unknown.length ? { unknown } : {};
  // A renamed object is created before the old one goes (Pulumi's default order), so it must fit
  // alongside it: plan it as a create. Same identity: an update (an adoption is one), or, when a
  // force-new attribute changed, a replace (diff asks for delete-before-replace).
  // Another stack's object fails here, at preview; an adoption is the explicit takeover.
  const by = owner && !adopted ? { owner } : {};
  const change: PlannedChange =
    oldKey !== key
      ? { action: "create", kind, args: spec, address, ...by, ...extra }
      : !adopted && diff(kind, olds, spec).replaces?.length
        ? { action: "replace", kind, id: key, args: spec, address, ...by, ...extra }
        : { action: "update", kind, id: key, args: spec, address, ...by, ...extra };
  // A re-check replaces its earlier entry in place (never double counts); a new change goes last.
  const mine = (await slot.session.review(change)).filter((d) => d.severity === "error" && d.address === address);
  return mine.map((d) => ({ path: d.path, message: d.detail, pulumiDetail: d.pulumiDetail, code: d.code }));
}

/** Forget a checked change whose apply failed. */
export function settled(settings: ProviderSettings, kind: ResourceKind, key: string): void {
  slotFor(settings).session.forget(`${kind}:${key}`);
}

/** Changes checked but not yet applied in this process (for tests and diagnostics). */
export function pendingChanges(settings: ProviderSettings = {}): readonly PlannedChange[] {
  return slotFor(settings).session.pending();
}

// ------------------------------------------------------------------ diff
