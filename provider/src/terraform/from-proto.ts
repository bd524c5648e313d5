/**
 * tfplugin6 request fields -> internal values.
 */
import { decodeValue, fromJsonValue } from "./codec/msgpack";
import type { TfType, TfValue } from "./codec/types";

export interface ProtoDynamicValue {
  msgpack?: Uint8Array;
  json?: Uint8Array;
}

/** A DynamicValue of type `t`; an absent or empty one is null. */
export function fromDynamicValue(dv: ProtoDynamicValue | undefined | null, t: TfType): TfValue {
  if (!dv) return null;
  if (dv.msgpack && dv.msgpack.length) return decodeValue(dv.msgpack, t);
  if (dv.json && dv.json.length) return fromJsonValue(JSON.parse(Buffer.from(dv.json).toString("utf8")), t);
  return null;
}

/** UpgradeResourceState's raw_state (JSON; the legacy flatmap form never reaches protocol 6 providers). */
export function fromRawState(raw: { json?: Uint8Array } | undefined, t: TfType): TfValue {
  if (!raw?.json || raw.json.length === 0) return null;
  return fromJsonValue(JSON.parse(Buffer.from(raw.json).toString("utf8")), t);
}
