/**
 * Input validation: the plain-JSON check (plain-json.ts), then ajv against the input half of each
 * schema. Defaults are applied here, so every later stage sees a complete spec. Errors name the
 * attribute path.
 */
import type { default as Ajv, ErrorObject, ValidateFunction } from "ajv";
import { inputSchemaOf, type SchemaKind } from "./catalog";
import { plainJsonProblems } from "./plain-json";
import { invalid, type Problem } from "../domain/errors";
import { isWholeMilli, UNIT } from "../domain/resources";
import { createHash } from "node:crypto";

type Validatable = SchemaKind;

let ajv: Ajv | undefined;
const compiled = new Map<Validatable, ValidateFunction>();

/** The vocabulary of schema/*.json beyond JSON Schema: annotations ajv must accept and ignore. */
const VOCABULARY = ["x-kind", "x-force-new", "x-sensitive", "x-import-id", "x-data-source", "x-ephemeral", "x-env", "x-computed-from", "x-observed", "x-lookup-of"];

/**
 * The validator configuration: used at run time and by `npm run gen:types`, which writes the same
 * validators as code (validators.gen.ts), so both judge alike. `source` keeps the generated code
 * (for the generator only).
 */
export function newAjv(source = false): Ajv {
  // Loaded on first use: a provider process that only serves the schema (Terraform starts one
  // per command for that) never pays for ajv's ~60 modules.
  const { default: AjvClass, _ } = require("ajv") as typeof import("ajv");
  const a = new AjvClass({
    allErrors: true,
    useDefaults: true,
    strict: true,
    strictNumbers: true,
    verbose: true, // puts the offending value in `e.data`, which messages quote as "(got ...)"
    ...(source ? { code: { source: true, esm: true } } : {}),
  }).addVocabulary(VOCABULARY);
  // Amounts the ledger stores as thousandths; resources.ts decides what fits. A code keyword
  // (not a validate function) so the generated validators carry it too, calling the same rule.
  return a.addKeyword({
    keyword: "x-quantity",
    type: "number",
    schemaType: "boolean",
    code(cxt) {
      if (!cxt.schema) return;
      const rule = cxt.gen.scopeValue("func", { ref: isWholeMilli, code: _`require("../domain/resources").isWholeMilli` });
      cxt.fail(_`!${rule}(${cxt.data})`);
    },
  });
}

/** Fingerprint of a kind's input schema: a generated validator is used only for the schema it was made from. */
export function schemaHash(kind: Validatable): string {
  return createHash("sha256").update(JSON.stringify(inputSchemaOf(kind))).digest("hex").slice(0, 16);
}

interface Generated {
  readonly validators: Readonly<Record<string, ValidateFunction | undefined>>;
  readonly hashes: Readonly<Record<string, string | undefined>>;
}

/**
 * The validator `npm run gen:types` wrote for `kind` (validators.gen.ts), when it was made from
 * this schema: compiling with ajv took ~0.1-0.2 s of every provider process that validates
 * (Terraform starts two or three per command). A schema edited without regenerating falls back to
 * compiling (test/schema says the file is stale).
 */
function generatedFor(kind: Validatable): ValidateFunction | undefined {
  const gen = require("./validators.gen") as Generated;
  const v = gen.validators[kind];
  return v && gen.hashes[kind] === schemaHash(kind) ? v : undefined;
}

function validatorFor(kind: Validatable): ValidateFunction {
  let v = compiled.get(kind);
  if (!v) {
    v = generatedFor(kind);
    if (!v) {
      ajv ??= newAjv();
      v = ajv.compile(inputSchemaOf(kind));
    }
    compiled.set(kind, v);
  }
  return v;
}

/** The standalone code of every kind's validator and its schema fingerprint (scripts/gen-types.js). */
export function validatorSource(kinds: readonly Validatable[]): string {
  const { default: standalone } = require("ajv/dist/standalone") as typeof import("ajv/dist/standalone");
  const a = newAjv(true);
  for (const kind of kinds) a.addSchema(inputSchemaOf(kind), kind);
  const code = standalone(a, Object.fromEntries(kinds.map((k) => [k, k])));
  const hashes = Object.fromEntries(kinds.map((k) => [k, schemaHash(k)]));
  const names = kinds.map((k) => `${JSON.stringify(k)}: ${k}`).join(", ");
  return code + `\nexport const validators = { ${names} };\nexport const hashes = ${JSON.stringify(hashes)};\n`;
}

/** Dotted attribute path from an ajv error. */
function pathOf(e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
  const extra =
    e.keyword === "required"
      ? (e.params as { missingProperty: string }).missingProperty
      : e.keyword === "additionalProperties"
        ? (e.params as { additionalProperty: string }).additionalProperty
        : "";
  return [base, extra].filter(Boolean).join(".");
}

function describe(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function messageOf(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  // Never quote a sensitive value (user_data, bmc.password) back in an error.
  if ((e.parentSchema as Record<string, unknown> | undefined)?.["x-sensitive"]) e = { ...e, data: "(sensitive value)" };
  switch (e.keyword) {
    case "required":
      return "is required";
    case "additionalProperties":
      return "is not a known attribute";
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")} (got ${describe(e.data)})`;
    case "type":
      return `must be ${p.type === "integer" ? "a whole number" : `of type ${String(p.type)}`} (got ${describe(e.data)})`;
    case "pattern":
      return `${describe(e.data)} does not match ${String(p.pattern)}${
        String(p.pattern).startsWith("^[a-z0-9]([-a-z0-9]*") ? " (a DNS-1123 label: lowercase letters, digits and '-')" : ""
      }`;
    case "x-quantity":
      return `is finer than the ledger's unit of ${UNIT}: use at most 3 decimal places (got ${describe(e.data)})`;
    default:
      return `${e.message ?? "is invalid"} (got ${describe(e.data)})`;
  }
}

/** Collects the problems with `input` for `kind`; mutates `input` by applying defaults. */
export function problemsOf(kind: Validatable, input: Record<string, unknown>): Problem[] {
  const shape = plainJsonProblems(input);
  return shape.length ? shape : schemaProblems(kind, input);
}

/** ajv's verdict on plain JSON data. */
function schemaProblems(kind: Validatable, input: Record<string, unknown>): Problem[] {
  const v = validatorFor(kind);
  if (v(input)) return [];
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of v.errors ?? []) {
    const problem = { path: pathOf(e), message: messageOf(e) };
    const key = `${problem.path}|${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/**
 * Validates a copy of `input` and returns it with defaults applied, or throws an `invalid_input`
 * error listing every problem by attribute path. The one door into the engine: the input is
 * checked to be plain JSON before it is copied, so a hostile or non-JSON value is reported by
 * path instead of surfacing as a TypeError (or a silently different spec) later.
 */
export function validateInput<T>(kind: Validatable, input: unknown, subject?: string): T {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw invalid([{ message: "expected an object of attributes" }], subject ?? kind);
  }
  const shape = plainJsonProblems(input);
  if (shape.length) throw invalid(shape, subject ?? kind);
  const copy = dropNulls(input as Record<string, unknown>); // a fresh copy: ajv's defaults never touch the caller's object
  const problems = schemaProblems(kind, copy);
  if (problems.length) throw invalid(problems, subject ?? kind);
  return copy as T;
}

/**
 * Front ends send unset attributes as null; JSON Schema treats absent and null differently.
 * Keys are defined, never assigned, so a `__proto__` key stays a key for validation to refuse.
 */
export function dropNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropNulls) as T;
  if (value === null || typeof value !== "object") return value;
  const kept = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  return Object.fromEntries(kept.map(([k, v]) => [k, dropNulls(v)])) as T;
}
