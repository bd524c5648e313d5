/**
 * Terraform (cty) types in their JSON form, exactly as schema attribute `type` bytes carry them:
 * `"string"`, `["list","string"]`, `["object",{"a":"number"}]`. Values use plain JS data plus one
 * marker for "not known until apply".
 */
export type TfType =
  | "string"
  | "number"
  | "bool"
  | "dynamic"
  | readonly ["list" | "set" | "map", TfType]
  | readonly ["object", Readonly<Record<string, TfType>>]
  | readonly ["tuple", readonly TfType[]];

/** The unknown value. One instance; compare with `isUnknown`. */
export class UnknownValue {
  static readonly instance = new UnknownValue();
  private constructor() {}
  toJSON(): string {
    return "(known after apply)";
  }
}
export const UNKNOWN = UnknownValue.instance;

export type TfValue = null | UnknownValue | string | number | boolean | TfValue[] | { [attr: string]: TfValue };
export type TfObject = { [attr: string]: TfValue };

export const isUnknown = (v: unknown): v is UnknownValue => v instanceof UnknownValue;

/** True when the value contains no unknown anywhere. */
export function isWhollyKnown(v: unknown): boolean {
  if (isUnknown(v)) return false;
  if (Array.isArray(v)) return v.every(isWhollyKnown);
  if (v !== null && typeof v === "object") return Object.values(v).every(isWhollyKnown);
  return true;
}

/** Type bytes for a schema attribute: the JSON text of the type. */
export const typeBytes = (t: TfType): Buffer => Buffer.from(JSON.stringify(t));

export function objectType(attrs: Record<string, TfType>): TfType {
  return ["object", attrs];
}

/** Stable JSON text of a value (object keys sorted), for hashing and order-free set comparison. */
export function canonical(v: TfValue | undefined): string {
  if (v === undefined || v === null) return "null";
  if (isUnknown(v)) return "?";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Deep equality of Terraform values of type `t`: sets compare order-free, absent equals null, and
 * unknown equals nothing (a plan cannot promise that two unknowns agree).
 *
 * Example: `valuesEqual(["b","a"], ["a","b"], ["set","string"])` -> true; with `["list","string"]` -> false.
 */
export function valuesEqual(a: TfValue | undefined, b: TfValue | undefined, t: TfType = "dynamic"): boolean {
  a ??= null;
  b ??= null;
  if (isUnknown(a) || isUnknown(b)) return false;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    if (Array.isArray(t) && t[0] === "set") {
      if (!isWhollyKnown(a) || !isWhollyKnown(b)) return false;
      const sa = a.map(canonical).sort();
      const sb = b.map(canonical).sort();
      return sa.every((x, i) => x === sb[i]);
    }
    return a.every((x, i) => valuesEqual(x, b[i], elementType(t, i)));
  }
  const oa = a as TfObject;
  const ob = b as TfObject;
  for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) if (!valuesEqual(oa[k], ob[k], attributeType(t, k))) return false;
  return true;
}

/** Element type of a collection or tuple type (dynamic when not known). */
export function elementType(t: TfType, index = 0): TfType {
  if (!Array.isArray(t)) return "dynamic";
  if (t[0] === "tuple") return (t[1] as readonly TfType[])[index] ?? "dynamic";
  if (t[0] === "list" || t[0] === "set" || t[0] === "map") return t[1] as TfType;
  return "dynamic";
}

/** Attribute type of an object type, or element type of a map. */
export function attributeType(t: TfType, name: string): TfType {
  if (!Array.isArray(t)) return "dynamic";
  if (t[0] === "object") return (t[1] as Record<string, TfType>)[name] ?? "dynamic";
  if (t[0] === "map") return t[1] as TfType;
  return "dynamic";
}
