/** Create, read, update and delete through the engine, with adoption, the ledger id and the host's timeouts. */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { Engine } from "../../provider/src/engine/engine";
import { checkStateLedger } from "../../provider/src/engine/state-ledger";
import { actingOwner, OWNER_INPUT, ownerIn, UNRECORDED_OWNER } from "./owner";
import type { State } from "../../provider/src/api";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { schemaOf, sensitivePaths, type DataSourceKind, type ResourceKind } from "../../provider/src/catalog/catalog";
import { dropNulls } from "../../provider/src/catalog/validate";
import { adoptionRefusal } from "./adoption";
import { withLeasedEngine } from "./leased-engines";
import { edgeError } from "./messages";
import { camelPath, toSpelling } from "./names";
import { runOperation } from "./operations";
import { type ProviderSettings, engineFor, openChecked, resolveSettings, slotFor } from "./runtime-engines";
import { type Props, isCode, toEngine, toOutputs, unwrapSecrets } from "./runtime-convert";
import { settled } from "./runtime-check";
import { identityOf } from "./runtime-convert";
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

export async function adopt(engine: Engine, kind: ResourceKind, args: Props, owner: string | undefined, inputs: Props): Promise<State> {
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
