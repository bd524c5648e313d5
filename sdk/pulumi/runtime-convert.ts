/** Pulumi properties to engine attributes and back: secrets unwrapped, camelCase outside, snake_case to the engine. */
import type { State } from "../../provider/src/api";
import { keyOf } from "../../provider/src/engine/records";
import { identityFields } from "../../provider/src/catalog/identity";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { schemaOf, type ResourceKind } from "../../provider/src/catalog/catalog";
import { dropNulls } from "../../provider/src/catalog/validate";
import { toSpelling } from "./names";
import { FRONT_END_KEYS } from "./runtime-engines";
export type Props = Record<string, unknown>;

/** Pulumi's wire markers for a secret value (`{[SIG_KEY]: SECRET_SIG, value}`), see runtime/rpc. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Secrets arrive unwrapped from the engine (the host does not accept secrets), but a caller that
 * forwards wire values (mocks, another host version) may still send the marker: unwrap it. The
 * secret-ness is restored on the way out by the resource's `additionalSecretOutputs`.
 */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Props;
    if (o[SIG_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** The user's attributes, without the Pulumi layer's own keys. */
export function attributesOf(props: Props | undefined): Props {
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

export function isCode(e: unknown, code: string): e is OtterscaleError {
  return OtterscaleError.isInstance(e) && e.code === code;
}

// ------------------------------------------------------------------ check

/** Identity of a previous input object, when there is one (an update or replace). */
export function identityOf(kind: ResourceKind, olds: Props): string | undefined {
  const o = toEngine(kind, olds);
  const needed = identityFields(kind);
  return needed.every((k) => typeof o[k] === "string") ? keyOf(kind, o) : undefined;
}
