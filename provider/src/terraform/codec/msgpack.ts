/**
 * DynamicValue msgpack codec driven by the Terraform type, following cty's msgpack encoding:
 * - unknown = ext type 0 (`d4 00 00`); ANY ext code decodes as unknown (12 = unknown with
 *   refinements, which we may drop: refinements are optional information);
 * - numbers: integers as msgpack ints; other numbers as their shortest decimal string, because
 *   cty compares numbers at 512-bit precision and float64 0.1 != the configured "0.1";
 *   incoming decimal strings ("0.1", "1e+21") decode to JS numbers;
 * - objects as maps with every attribute of the type present (null when absent), keys sorted;
 * - `dynamic` as a 2-array `[type JSON, value]`.
 *
 * Example: `encodeValue({ a: 1, b: UNKNOWN }, ["object", { a: "number", b: "string" }])` ->
 * `82 a1 61 01 a1 62 d4 00 00`.
 */
import { Decoder, Encoder, ExtData } from "@msgpack/msgpack";
import { isUnknown, UNKNOWN, type TfObject, type TfType, type TfValue } from "./types";
import { OtterscaleError } from "../../domain/errors";
import { memoPerObject } from "../../lib/memo";

const UNKNOWN_EXT = new ExtData(0, new Uint8Array([0]));

// One of each per process: `encode`/`decode` build a new one per call (a 2 KiB buffer for every
// encoder), and a plan makes thousands of calls. Both are safe to share: a re-entered one clones
// itself, and each call starts from a reset state.
const encoder = new Encoder({ sortKeys: false, ignoreUndefined: false });
const decoder = new Decoder();

/**
 * The path of the value being converted, for error messages. One array per conversion, pushed and
 * popped around each element instead of copied for every one: it is read only when a value is
 * refused, and a refusal ends the conversion (the throw skips the pops).
 */
type Path = string[];

/** An object type's attribute names, sorted (cty's order on the wire), computed once per type. */
const sortedKeys = memoPerObject((attrs: Readonly<Record<string, TfType>>): readonly string[] => Object.keys(attrs).sort());

/** Decodes msgpack bytes as a value of type `t`. Empty input is null (an unset DynamicValue). */
export function decodeValue(bytes: Uint8Array | undefined | null, t: TfType): TfValue {
  if (!bytes || bytes.length === 0) return null;
  return fromRaw(decodeRaw(bytes), t, []);
}

/** msgpack -> JS, its failures (e.g. a map key `__proto__`, which the decoder refuses) as input errors. */
function decodeRaw(bytes: Uint8Array): unknown {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    const message = `cannot be decoded: ${e instanceof Error ? e.message : String(e)}`;
    throw new OtterscaleError("invalid_input", `the value ${message}`, [{ message }]);
  }
}

/** Encodes a value of type `t` as msgpack. */
export function encodeValue(value: TfValue | undefined, t: TfType): Buffer {
  const raw = toRaw(value ?? null, t, []);
  return Buffer.from(encoder.encodeSharedRef(raw)); // a copy: the encoder's buffer is reused
}

/** JSON state (UpgradeResourceState raw_state, no unknowns) read with type `t`. */
export function fromJsonValue(json: unknown, t: TfType): TfValue {
  return fromRaw(json, t, []);
}

function mismatch(path: Path, want: string, got: unknown): OtterscaleError {
  const at = path.length ? path.join(".") : "(root)";
  return new OtterscaleError("invalid_input", `value at ${at}: expected ${want}, got ${typeof got}`, [{ path: path.join("."), message: `expected ${want}` }]);
}

function fromRaw(raw: unknown, t: TfType, path: Path): TfValue {
  if (raw instanceof ExtData) return UNKNOWN;
  if (raw === null || raw === undefined) return null;
  if (t === "dynamic") {
    if (Array.isArray(raw) && raw.length === 2 && (raw[0] instanceof Uint8Array || typeof raw[0] === "string")) {
      const typeJson = typeof raw[0] === "string" ? raw[0] : Buffer.from(raw[0]).toString("utf8");
      return fromRaw(raw[1], JSON.parse(typeJson) as TfType, path);
    }
    return plain(raw);
  }
  if (t === "string") {
    if (typeof raw !== "string") throw mismatch(path, "string", raw);
    return raw;
  }
  if (t === "number") {
    if (typeof raw === "number") return raw;
    if (typeof raw === "bigint") return Number(raw);
    if (typeof raw === "string" && raw.trim() !== "" && !Number.isNaN(Number(raw))) return Number(raw);
    throw mismatch(path, "number", raw);
  }
  if (t === "bool") {
    if (typeof raw !== "boolean") throw mismatch(path, "bool", raw);
    return raw;
  }
  const [kind, inner] = t;
  if (kind === "list" || kind === "set" || kind === "tuple") {
    if (!Array.isArray(raw)) throw mismatch(path, kind, raw);
    return raw.map((e, i) => {
      path.push(String(i));
      const out = fromRaw(e, kind === "tuple" ? ((inner as readonly TfType[])[i] ?? "dynamic") : (inner as TfType), path);
      path.pop();
      return out;
    });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw mismatch(path, kind, raw);
  const src = raw instanceof Map ? Object.fromEntries(raw) : (raw as Record<string, unknown>);
  const out: TfObject = {};
  if (kind === "map") {
    // Keys are defined, never assigned: a key "__proto__" stays a key, for validation to refuse.
    return Object.fromEntries(
      Object.keys(src).map((k) => {
        path.push(k);
        const e = fromRaw(src[k], inner as TfType, path);
        path.pop();
        return [k, e];
      }),
    );
  }
  const attrs = inner as Record<string, TfType>;
  for (const k of Object.keys(attrs)) {
    path.push(k);
    out[k] = fromRaw(src[k], attrs[k], path);
    path.pop();
  }
  return out;
}

function plain(raw: unknown): TfValue {
  if (raw instanceof ExtData) return UNKNOWN;
  if (raw === null || raw === undefined) return null;
  if (Array.isArray(raw)) return raw.map(plain);
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString("utf8");
  if (typeof raw === "object") return Object.fromEntries(Object.entries(raw as object).map(([k, v]) => [k, plain(v)]));
  if (typeof raw === "bigint") return Number(raw);
  return raw as TfValue;
}

/** A number in the form cty reads back exactly. */
export function encodeNumber(n: number): number | string {
  if (!Number.isFinite(n)) throw new OtterscaleError("invalid_input", `number ${n} cannot be sent to Terraform`);
  return Number.isSafeInteger(n) ? n : String(n);
}

function toRaw(v: TfValue, t: TfType, path: Path): unknown {
  if (isUnknown(v)) return UNKNOWN_EXT;
  if (v === null || v === undefined) return null;
  if (t === "dynamic") return [JSON.stringify(inferType(v)), toRaw(v, inferType(v), path)];
  if (t === "string") {
    if (typeof v !== "string") throw mismatch(path, "string", v);
    return v;
  }
  if (t === "number") {
    if (typeof v === "number") return encodeNumber(v);
    if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return encodeNumber(Number(v));
    throw mismatch(path, "number", v);
  }
  if (t === "bool") {
    if (typeof v !== "boolean") throw mismatch(path, "bool", v);
    return v;
  }
  const [kind, inner] = t;
  if (kind === "list" || kind === "set" || kind === "tuple") {
    if (!Array.isArray(v)) throw mismatch(path, kind, v);
    return v.map((e, i) => {
      path.push(String(i));
      const out = toRaw(e, kind === "tuple" ? ((inner as readonly TfType[])[i] ?? "dynamic") : (inner as TfType), path);
      path.pop();
      return out;
    });
  }
  if (typeof v !== "object" || Array.isArray(v)) throw mismatch(path, kind, v);
  const out: Record<string, unknown> = {};
  if (kind === "map") {
    for (const k of Object.keys(v).sort()) {
      path.push(k);
      out[k] = toRaw(v[k], inner as TfType, path);
      path.pop();
    }
    return out;
  }
  const attrs = inner as Record<string, TfType>;
  for (const k of sortedKeys(attrs)) {
    path.push(k);
    out[k] = toRaw(v[k] ?? null, attrs[k], path);
    path.pop();
  }
  return out;
}

/** The type Terraform would infer for a JS value (used only for `dynamic`). */
export function inferType(v: TfValue): TfType {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return ["tuple", v.map(inferType)];
  if (v && typeof v === "object" && !isUnknown(v)) return ["object", Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inferType(x)]))];
  return "dynamic";
}
