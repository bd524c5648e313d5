/**
 * The shape every input must have before anything else reads it: plain JSON data. Front ends hand
 * the engine whatever a program built, and the rest of the pipeline (null dropping, ajv, secret
 * digests, the ledger's JSON columns) assumes JSON. A value that is not JSON does not fail there
 * cleanly: a BigInt makes `JSON.stringify` throw a raw TypeError, and an object whose prototype
 * carries attributes passes ajv (which reads inherited properties) while every copy made with
 * `Object.entries` loses them, so quota checks and manifests see a different spec than validation.
 *
 * Example: `plainJsonProblems(JSON.parse('{"labels":{"__proto__":{"x":"1"}}}'))` ->
 * `[{path: "labels.__proto__", message: "\"__proto__\" is not allowed as a name ..."}]`.
 */
import type { Problem } from "../domain/errors";

/**
 * Own property names refused at any depth. Copying `{"__proto__": {...}}` with `out[k] = v`
 * replaces the copy's prototype instead of adding a key, and `constructor` / `prototype` are the
 * other names prototype-pollution gadgets go through. No attribute or label needs them.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Far deeper than any schema (at most 3 levels); stops a deep or self-referencing input early. */
const MAX_DEPTH = 32;
/** Values walked at most; an input this large is a mistake, not a configuration. */
const MAX_VALUES = 100_000;

/**
 * Every way `value` is not plain JSON data, by attribute path: reserved property names, values JSON
 * cannot carry (BigInt, functions, symbols, NaN, Infinity, undefined inside an array), objects that
 * are not plain (a Date, Map, Set, class instance, or any object whose prototype is neither
 * `Object.prototype` nor null), getters and setters, cycles and absurd depth or size. `undefined`
 * as an object's property value is allowed: front ends use it for an unset attribute.
 */
export function plainJsonProblems(value: unknown): Problem[] {
  const walker = new Walker();
  try {
    walker.walk(value, [], new Set());
  } catch (e) {
    // A Proxy or exotic object can throw from the inspection itself; still an input problem.
    walker.add([], `could not be read as JSON data (${e instanceof Error ? e.message : String(e)})`);
  }
  return walker.problems;
}

class Walker {
  readonly problems: Problem[] = [];
  private budget = MAX_VALUES;

  add(path: readonly string[], message: string): void {
    this.problems.push(path.length ? { path: path.join("."), message } : { message: `the input ${message}` });
  }

  walk(v: unknown, path: readonly string[], ancestors: Set<object>): void {
    if (--this.budget < 0) {
      if (this.budget === -1) this.add(path, `has more than ${MAX_VALUES} values`);
      return;
    }
    const scalar = scalarProblem(v);
    if (scalar !== undefined) return scalar ? this.add(path, scalar) : undefined;
    const obj = v as object;
    if (ancestors.has(obj)) return this.add(path, "refers to itself (a cycle); JSON data cannot");
    if (path.length >= MAX_DEPTH) return this.add(path, `is nested more than ${MAX_DEPTH} levels deep`);
    const shape = objectShapeProblem(obj);
    if (shape) return this.add(path, shape);
    ancestors.add(obj);
    if (Array.isArray(obj)) this.walkArray(obj, path, ancestors);
    else this.walkObject(obj, path, ancestors);
    ancestors.delete(obj);
  }

  private walkArray(a: readonly unknown[], path: readonly string[], ancestors: Set<object>): void {
    if (a.length > this.budget) return this.add(path, `has ${a.length} items; at most ${MAX_VALUES} values are accepted`);
    for (let i = 0; i < a.length; i++) {
      const d = Object.getOwnPropertyDescriptor(a, i);
      const at = [...path, String(i)];
      if (!d) this.add(at, "is an empty array slot; JSON arrays have no holes");
      else if (!("value" in d)) this.add(at, "is a getter/setter, not a data value");
      else if (d.value === undefined) this.add(at, `is undefined; ${JSON_ONLY}`);
      else this.walk(d.value, at, ancestors);
    }
  }

  private walkObject(o: object, path: readonly string[], ancestors: Set<object>): void {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(o))) {
      if (!d.enumerable) continue; // never copied or validated; invisible to every later stage
      const at = [...path, k];
      if (RESERVED_NAMES.has(k)) this.add(at, `${JSON.stringify(k)} is not allowed as an attribute or key name (it can reach the object prototype)`);
      else if (!("value" in d)) this.add(at, "is a getter/setter, not a data value");
      else if (d.value !== undefined) this.walk(d.value, at, ancestors);
    }
  }
}

const JSON_ONLY = "only JSON values are accepted (strings, finite numbers, booleans, null, arrays and plain objects)";

/** For a non-object: "" when it is plain JSON, else the problem. Undefined for objects. */
function scalarProblem(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
    case "boolean":
      return "";
    case "number":
      return Number.isFinite(v) ? "" : `is ${String(v)}; ${JSON_ONLY}`;
    case "bigint":
      return `is a BigInt (${String(v)}n); pass a number instead`;
    case "function":
      return `is a function; ${JSON_ONLY}`;
    case "symbol":
      return `is a symbol; ${JSON_ONLY}`;
    case "undefined":
      return `is undefined; ${JSON_ONLY}`;
    default:
      return v === null ? "" : undefined;
  }
}

/** Why an object is not a plain array or plain object, or undefined when it is. */
function objectShapeProblem(o: object): string | undefined {
  const proto: unknown = Object.getPrototypeOf(o);
  if (Array.isArray(o)) return proto === Array.prototype ? undefined : `is an array with a custom prototype; ${JSON_ONLY}`;
  if (proto === Object.prototype || proto === null) return undefined;
  const ctor = Object.getOwnPropertyDescriptor(proto as object, "constructor")?.value as unknown;
  const name = typeof ctor === "function" && ctor.name ? ctor.name : undefined;
  // Attributes inherited from a prototype (`{__proto__: {cpu_cores: 2}}`) are seen by validation
  // but lost by every copy; refuse them rather than guess which view is meant.
  return name
    ? `is ${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}; ${JSON_ONLY}`
    : `is an object whose prototype is not Object.prototype (e.g. built with a __proto__ literal); ${JSON_ONLY}`;
}
