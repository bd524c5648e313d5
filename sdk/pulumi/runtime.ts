/**
 * What the serialized dynamic providers run, inside the Pulumi dynamic-provider host (or the
 * program process under mocks). It is `require`d at call time, never captured: the provider
 * objects in state hold only the kind, the path of this module and the configuration.
 *
 * Everything speaks camelCase outside and snake_case to the engine; quota and placement logic
 * stay in the engine (validate, plan, create, read, update, delete).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { resolveConfig } from "../../provider/src/engine/config";
import { parseGpuDevicesEnv } from "../../provider/src/model/gpu-devices";
import type { Engine } from "../../provider/src/engine/engine";
import { canonical, keyOf } from "../../provider/src/engine/records";
import { identityFields } from "../../provider/src/schema/identity";
import { checkStateLedger } from "../../provider/src/engine/state-ledger";
import { actingOwner, OWNER_INPUT, ownerIn, UNRECORDED_OWNER } from "./owner";
import { openEngine } from "../../provider/src/api";
import { ReviewSession } from "../../provider/src/engine/review/session";
import type { PlannedChange, State } from "../../provider/src/api";
import { OtterscaleError, type Problem } from "../../provider/src/domain/errors";
import { forceNewAttributes, inputSchemaOf, schemaOf, sensitivePaths, type DataSourceKind, type ResourceKind, type SchemaNode } from "../../provider/src/schema/catalog";
import { dropNulls, problemsOf } from "../../provider/src/schema/validate";
import { adoptionRefusal } from "./adoption";
import { attachToHost } from "./host-hooks";
import { exitWithHost } from "./host-exit";
import { withLeasedEngine } from "./leased-engines";
import { edgeError, pulumiMessage } from "./messages";
import { attributeName, camelPath, snakeToCamel, toSpelling } from "./names";
import { requireSupportedNode } from "./node-version";
import { runOperation, stopOperations } from "./operations";
import { containsUnknown, guessed, knownProblems, splitUnknowns, UNKNOWN, withoutPlaceholder, withPlaceholderName } from "./unknowns";

export { edgeError, UNKNOWN };

/** Stack configuration as `configure` saw it (`otterscale:ledgerUrl`, `otterscale:controllerUrl`, `otterscale:vclusterChartVersion`). */
export interface ProviderSettings {
  readonly ledgerUrl?: string;
  readonly controllerUrl?: string;
  readonly vclusterChartVersion?: string;
}

/** Inputs that belong to the Pulumi layer, never sent to the engine. */
const FRONT_END_KEYS = new Set(["__provider", "adopt", OWNER_INPUT]);

// ------------------------------------------------------------------ engines, one per config

interface Slot {
  engine: Promise<Engine>;
  /**
   * Changes seen by `check` and not yet applied, by `kind:identity`, judged together by the
   * engine's rulebook (engine/review): Pulumi checks resources concurrently, and each must see the
   * others; steps run in parallel, so none is credited with what another frees.
   */
  session: ReviewSession;
}

const SLOTS = Symbol.for("otterscale-iac.pulumi.engines");

/** Process-wide, shared by every copy of this module (state may carry another path to it). */
function slots(): Map<string, Slot> {
  const g = globalThis as unknown as Record<symbol, Map<string, Slot> | undefined>;
  return (g[SLOTS] ??= new Map());
}

/**
 * Explicit settings, then stack config from `PULUMI_CONFIG` (the engine hands dynamic providers
 * the whole stack config there too), then OTTERSCALE_LEDGER_URL / OTTERSCALE_CONTROLLER_URL /
 * OTTERSCALE_HOME.
 */
export function resolveSettings(settings: ProviderSettings = {}, env: NodeJS.ProcessEnv = process.env) {
  let stack: Record<string, unknown> = {};
  try {
    stack = env.PULUMI_CONFIG ? (JSON.parse(env.PULUMI_CONFIG) as Record<string, unknown>) : {};
  } catch {
    stack = {};
  }
  const pick = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return resolveConfig(
    {
      ledgerUrl: pick(settings.ledgerUrl) ?? pick(stack["otterscale:ledgerUrl"]),
      controllerUrl: pick(settings.controllerUrl) ?? pick(stack["otterscale:controllerUrl"]),
      // Stack config holds objects as JSON text (`pulumi config set --path` or a YAML map).
      gpuDevices: parseGpuDevicesEnv(pick(stack["otterscale:gpuDevices"]), "otterscale:gpuDevices"),
      vclusterChartVersion: pick(settings.vclusterChartVersion) ?? pick(stack["otterscale:vclusterChartVersion"]),
    },
    env,
  );
}

function slotFor(settings: ProviderSettings): Slot {
  const c = resolveSettings(settings);
  const key = JSON.stringify([c.ledgerUrl, c.controllerUrl, c.gpuDevices, c.vclusterChartVersion]);
  let slot = slots().get(key);
  if (!slot) {
    const engine = openChecked({ ledgerUrl: c.ledgerUrl, controllerUrl: c.controllerUrl, home: c.home, gpuDevices: c.gpuDevices, vclusterChartVersion: c.vclusterChartVersion });
    slot = { engine, session: new ReviewSession(() => engine) };
    slots().set(key, slot);
    // A failed open must not poison the cache: the next call tries again.
    engine.catch(() => slots().delete(key));
    closeOnExit();
  }
  return slot;
}

/** Opens an engine on a Node.js that can run it (else says which Node is needed, not which module is missing). */
export async function openChecked(config: Parameters<typeof openEngine>[0]): Promise<Engine> {
  requireSupportedNode();
  return openEngine(config);
}

/**
 * A program (or a test) that ends with engines open closes them: an open PostgreSQL pool would
 * keep the process alive until its idle timeout. `beforeExit` comes once the event loop is empty;
 * closing empties the cache, so it does not come back for more.
 */
function closeOnExit(): void {
  const g = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (g[CLOSE_ON_EXIT]) return;
  g[CLOSE_ON_EXIT] = true;
  process.on("beforeExit", () => {
    if (slots().size) void closeEngines();
  });
}
const CLOSE_ON_EXIT = Symbol.for("otterscale-iac.pulumi.closeOnExit");

// In Pulumi's dynamic-provider host: honour the Cancel RPC and request timeouts, and settle what
// runs when the host is told to end or Pulumi is gone (host-hooks.ts, host-exit.ts).
if (attachToHost(() => stopOperations("Pulumi cancelled the update"))) exitWithHost(closeEngines);

/** The engine for these settings: opened once per process and configuration, then reused. */
export async function engineFor(settings: ProviderSettings = {}): Promise<Engine> {
  return slotFor(settings).engine.catch((e: unknown) => {
    throw edgeError(e);
  });
}

/** Closes every cached engine (tests, benchmarks; the host process simply exits). */
export async function closeEngines(): Promise<void> {
  const all = [...slots().values()];
  slots().clear();
  await Promise.all(all.map((s) => s.engine.then((e) => e.close()).catch(() => undefined)));
}

// ------------------------------------------------------------------ conversions

type Props = Record<string, unknown>;

/** Pulumi's wire markers for a secret value (`{[SIG_KEY]: SECRET_SIG, value}`), see runtime/rpc. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Secrets arrive unwrapped from the engine (the host does not accept secrets), but a caller that
 * forwards wire values (mocks, another host version) may still send the marker: unwrap it. The
 * secret-ness is restored on the way out by the resource's `additionalSecretOutputs`.
 */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Props;
    if (o[SIG_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** The user's attributes, without the Pulumi layer's own keys. */
function attributesOf(props: Props | undefined): Props {
  // Keys are defined, never assigned: a "__proto__" key stays a key, for validation to refuse.
  return Object.fromEntries(Object.entries(props ?? {}).filter(([k]) => !FRONT_END_KEYS.has(k)).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** camelCase inputs -> the engine's snake_case attribute object. */
export function toEngine(kind: ResourceKind, props: Props | undefined): Props {
  return toSpelling(dropNulls(attributesOf(props)), schemaOf(kind), "snake") as Props;
}

/** Engine state -> resource outputs: camelCase, no `id` (Pulumi carries it), no nulls. */
export function toOutputs(kind: ResourceKind, state: State): Props {
  const { id: _id, ...rest } = dropNulls(state);
  return toSpelling(rest, schemaOf(kind), "camel") as Props;
}

function isCode(e: unknown, code: string): e is OtterscaleError {
  return OtterscaleError.isInstance(e) && e.code === code;
}

// ------------------------------------------------------------------ check

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

/** Identity of a previous input object, when there is one (an update or replace). */
function identityOf(kind: ResourceKind, olds: Props): string | undefined {
  const o = toEngine(kind, olds);
  const needed = identityFields(kind);
  return needed.every((k) => typeof o[k] === "string") ? keyOf(kind, o) : undefined;
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
function settled(settings: ProviderSettings, kind: ResourceKind, key: string): void {
  slotFor(settings).session.forget(`${kind}:${key}`);
}

/** Changes checked but not yet applied in this process (for tests and diagnostics). */
export function pendingChanges(settings: ProviderSettings = {}): readonly PlannedChange[] {
  return slotFor(settings).session.pending();
}

// ------------------------------------------------------------------ diff

/** Canonical form for comparison: sets (uniqueItems arrays) sorted. */
function normalForm(value: unknown, node: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalForm(v, node?.items));
    return node?.uniqueItems ? [...items].sort((a, b) => canonical(a).localeCompare(canonical(b))) : items;
  }
  if (value && typeof value === "object") {
    const props = node?.properties;
    const extra = typeof node?.additionalProperties === "object" ? node.additionalProperties : undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalForm(v, props?.[k] ?? extra)]));
  }
  return value;
}

/** Input attributes of a props object (inputs or outputs), with defaults, snake_case. */
function normalizedInputs(kind: ResourceKind, props: Props): Props {
  const input = inputSchemaOf(kind);
  const snake = toEngine(kind, props);
  const out: Props = {};
  for (const k of Object.keys(input.properties ?? {})) if (snake[k] !== undefined) out[k] = snake[k];
  problemsOf(kind, out); // applies defaults; validity was settled by check
  return out;
}

/**
 * Changed input attributes between the old outputs (which show drift after a refresh) and the
 * new checked inputs; computed outputs are ignored and defaults applied on both sides, so an
 * unchanged program never diffs. Force-new attributes are replaces; an object replaced under the
 * same identity (e.g. a VM moved to another group) must be deleted before it can be re-created.
 */
export function diff(kind: ResourceKind, olds: Props, news: Props): dynamic.DiffResult {
  const attrs = attributesOf(news);
  const unknown = Object.keys(attrs).filter((k) => containsUnknown(attrs[k]));
  const known = Object.fromEntries(Object.entries(attrs).filter(([k]) => !unknown.includes(k)));
  const before = normalizedInputs(kind, olds);
  const after = normalizedInputs(kind, known);
  const input = inputSchemaOf(kind).properties ?? {};
  // A value not known yet (preview) may differ: count it as changed.
  const changed = new Set(unknown.map((k) => attributeName(schemaOf(kind), k, "snake")));
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (canonical(normalForm(before[k], input[k])) !== canonical(normalForm(after[k], input[k]))) changed.add(k);
  }
  const forceNew = new Set(forceNewAttributes(kind));
  const replaces = [...changed].filter((k) => forceNew.has(k));
  const sameIdentity = !unknown.length && identityOf(kind, olds) === keyOf(kind, after);
  return {
    changes: changed.size > 0,
    replaces: replaces.map(snakeToCamel),
    deleteBeforeReplace: replaces.length > 0 && sameIdentity,
  };
}

// ------------------------------------------------------------------ create / read / update / delete

/**
 * Creates through the engine. The engine's create is idempotent: an object already in the ledger
 * with the same configuration is adopted as is. With `adopt: true`, one with a different
 * configuration is adopted too and updated in place (see the README: the `pulumi import`
 * workaround).
 */
export async function create(kind: ResourceKind, inputs: Props, settings: ProviderSettings = {}): Promise<dynamic.CreateResult> {
  const engine = await engineFor(settings);
  const args = toEngine(kind, inputs);
  const owner = ownerIn(inputs);
  let state: State;
  try {
    try {
      state = await runOperation(`create ${kind} ${identityOf(kind, inputs) ?? ""}`, inputs, (opts) => engine.create(kind, args, { ...opts, ...(owner ? { owner } : {}) }));
    } catch (e) {
      if (!(unwrapSecrets(inputs.adopt) === true && (isCode(e, "already_exists") || isCode(e, "owned")))) throw edgeError(e);
      state = await adopt(engine, kind, args, owner, inputs);
    }
  } catch (e) {
    // It will not happen: stop counting it. (A created object stays in the batch: the engine's
    // plan finds it in the ledger and does not count it twice.)
    const key = identityOf(kind, inputs);
    if (key) settled(settings, kind, key);
    throw e;
  }
  // A replacement is now a plain existing object: a later delete of it must stop counting it.
  const address = `${kind}:${String(state.id)}`;
  const session = slotFor(settings).session;
  const entry = session.get(address);
  if (entry?.action === "replace") session.remember({ ...entry, action: "create" });
  return { id: String(state.id), outs: outputsOf(engine, kind, state, owner) };
}

/** The resource's outputs, with the id of the ledger they were written to (see `checkLedgerOf`) and the owning stack. */
function outputsOf(engine: Engine, kind: ResourceKind, state: State, owner: string | undefined): Props {
  return { ...toOutputs(kind, state), [LEDGER_ID]: engine.ledgerId, ...(owner ? { [OWNER_INPUT]: owner } : {}) };
}

/** Output that remembers the ledger the object lives in: a stack pointed at another ledger is refused. */
const LEDGER_ID = "ledgerId";

function checkLedgerOf(engine: Engine, kind: ResourceKind, id: string, outs: Props): void {
  const remembered = outs[LEDGER_ID];
  checkStateLedger(typeof remembered === "string" ? remembered : undefined, engine.ledgerId, engine.ledgerLabel, `the stack's state of ${kind} ${id}`);
}

async function adopt(engine: Engine, kind: ResourceKind, args: Props, owner: string | undefined, inputs: Props): Promise<State> {
  try {
    const v = engine.validate(kind, args);
    const current = await engine.read(kind, v.key);
    if (!current) throw new OtterscaleError("not_found", `cannot adopt ${kind} ${v.key}: no such object`);
    const refused = adoptionRefusal(kind, v.key, current, v.spec);
    if (refused) throw refused;
    // The takeover (audited) and the update are one fenced operation: a failed update takes nothing over.
    return await runOperation(`adopt ${kind} ${v.key}`, inputs, (opts) => engine.update(kind, v.key, args, { ...opts, ...(owner ? { owner, takeover: true } : {}) }));
  } catch (e) {
    throw edgeError(e);
  }
}

/**
 * The object as the ledger and the controller see it now; `{}` (no id) when it is gone, which
 * the Pulumi engine takes as "deleted" and drops from state. Sensitive inputs are not kept by the
 * ledger (only a digest), so the values already in state are carried over.
 */
export async function read(kind: ResourceKind, id: string, props: Props = {}, settings: ProviderSettings = {}): Promise<dynamic.ReadResult> {
  const engine = await engineFor(settings);
  let state: State | undefined;
  try {
    checkLedgerOf(engine, kind, id, props);
    // An object another stack took over (`adopt: true` there) reads as gone here.
    state = await engine.read(kind, id, { owner: actingOwner(props) });
  } catch (e) {
    throw edgeError(e);
  }
  if (!state) return {};
  const outs = outputsOf(engine, kind, state, ownerIn(props));
  for (const path of sensitivePaths(kind)) carryOver(outs, props, camelPath(path, schemaOf(kind)).split("."));
  return { id, props: outs };
}

function carryOver(to: Props, from: Props, path: string[]): void {
  const [head, ...rest] = path;
  const src = from[head];
  if (src === undefined || src === null) return;
  if (!rest.length) {
    if (to[head] === undefined) to[head] = src;
    return;
  }
  if (typeof src !== "object") return;
  const dst = to[head];
  if (dst === undefined) return; // the parent object is gone: nothing to attach a secret to
  if (dst && typeof dst === "object") carryOver(dst as Props, src as Props, rest);
}

/** In-place update (resize, relabel, ...); the engine refuses what would need a migration. */
export async function update(kind: ResourceKind, id: string, olds: Props, news: Props, settings: ProviderSettings = {}): Promise<dynamic.UpdateResult> {
  const engine = await engineFor(settings);
  try {
    checkLedgerOf(engine, kind, id, olds);
    // The owner its state recorded: a resource renamed with aliases keeps its object.
    const owner = actingOwner(olds, news);
    const state = await runOperation(`update ${kind} ${id}`, news, (opts) => engine.update(kind, id, toEngine(kind, news), { ...opts, owner }));
    return { outs: outputsOf(engine, kind, state, owner === UNRECORDED_OWNER ? undefined : owner) };
  } catch (e) {
    settled(settings, kind, id);
    throw edgeError(e);
  }
}

/** Deletes; deleting what is already gone succeeds. */
export async function remove(kind: ResourceKind, id: string, settings: ProviderSettings = {}, props: Props = {}): Promise<void> {
  const engine = await engineFor(settings);
  try {
    checkLedgerOf(engine, kind, id, props);
    await runOperation(`delete ${kind} ${id}`, props, (opts) => engine.delete(kind, id, { ...opts, owner: actingOwner(props) }));
    // The delete half of a delete-before-replace: the replacement is still to be created, so its
    // checked entry keeps counting in later checks.
    const entry = slotFor(settings).session.get(`${kind}:${id}`);
    if (entry?.action !== "replace") settled(settings, kind, id);
  } catch (e) {
    throw edgeError(e);
  }
}

/**
 * Reads a data source (`tenant_usage`, `group_capacity`, the lookups), camelCase, unset values as undefined.
 * Runs in the program, on an engine of its own that closes when no read needs it (leased-engines.ts).
 */
export async function readDataSource(kind: DataSourceKind, args: Props, settings: ProviderSettings = {}): Promise<Props> {
  const c = resolveSettings(settings);
  const config = { ledgerUrl: c.ledgerUrl, controllerUrl: c.controllerUrl, home: c.home };
  try {
    return await withLeasedEngine(JSON.stringify([c.ledgerUrl, c.controllerUrl]), () => openChecked(config), async (engine) => {
      const state = await engine.readDataSource(kind, toSpelling(args, schemaOf(kind), "snake"));
      return toSpelling(dropNulls(state), schemaOf(kind), "camel") as Props;
    });
  } catch (e) {
    throw edgeError(e);
  }
}
