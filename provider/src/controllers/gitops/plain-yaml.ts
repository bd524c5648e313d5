/**
 * A fast YAML writer for the plain manifests otterscale renders, used only to recognise an
 * unchanged file: a refresh compares the file with this text and, when they are equal, takes the
 * manifest it rendered instead of parsing the file (parsing is most of a refresh's CPU).
 *
 * Safety does not depend on matching the `yaml` library's output: the writer emits only what
 * any YAML 1.2 parser reads back as exactly the input (block maps and sequences, integers and
 * decimals, booleans, null, and strings of a plain character set: unquoted unless a core-schema
 * tag claims them, then double-quoted), and returns undefined for anything else. A file equal to its text therefore parses to the
 * manifest; a file that differs (a hand edit, another writer's layout) is parsed as usual.
 */

/**
 * Strings written unquoted: letters, digits and `._/-,:`, starting with a letter or digit, not
 * ending with `:` (in block context `,` is plain, and `:` is an indicator only before a space or
 * the end of the line).
 */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._/,:-]*$/;
/** ...unless a YAML 1.2 core-schema tag would read them as something else (numbers, booleans, null, .inf). */
const CLAIMED = /^([-+]?(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+|(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$/;

const plain = (s: string) => PLAIN.test(s) && !s.endsWith(":");

type Plain = null | boolean | number | string | readonly Plain[] | { readonly [k: string]: Plain | undefined };

function scalar(v: unknown): string | undefined {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0) && !/e/i.test(String(v)) ? String(v) : undefined;
  // A claimed one ("16", "false") is double-quoted: its characters need no escapes.
  if (typeof v === "string") return plain(v) ? (CLAIMED.test(v) ? `"${v}"` : v) : undefined;
  return undefined;
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;

/** Appends the lines of `v` (a non-empty map or sequence) at `indent` to `out`; false when it holds anything not plain. */
function block(v: unknown, indent: number, out: string[]): boolean {
  const pad = " ".repeat(indent);
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isMap(item) && Object.keys(item).some((k) => item[k] !== undefined)) {
        const start = out.length;
        if (!block(item, indent + 2, out)) return false;
        out[start] = `${pad}- ${out[start].slice(indent + 2)}`;
      } else {
        const s = inline(item);
        if (s === undefined) return false;
        out.push(`${pad}- ${s}`);
      }
    }
    return true;
  }
  if (!isMap(v)) return false;
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    if (!plain(k) || CLAIMED.test(k)) return false;
    const s = inline(x);
    if (s !== undefined) out.push(`${pad}${k}: ${s}`);
    else {
      out.push(`${pad}${k}:`);
      if (!block(x, indent + 2, out)) return false; // a sequence under a key is indented too (the yaml library's layout)
    }
  }
  return true;
}

/** A scalar or an empty collection on one line; undefined for a non-empty collection or anything not plain. */
function inline(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? undefined : "[]";
  if (isMap(v)) return Object.values(v).some((x) => x !== undefined) ? undefined : "{}";
  return scalar(v);
}

/**
 * `doc` as block YAML after the comment `header`, e.g. `{a: {b: 1}, c: ["x"]}` ->
 * `# header\na:\n  b: 1\nc:\n  - x\n`; undefined when `doc` holds anything but plain values.
 */
export function plainYaml(doc: unknown, header: string): string | undefined {
  if (!isMap(doc) || inline(doc) !== undefined) return undefined; // an empty document: left to the yaml library
  const out: string[] = [`# ${header}`];
  if (!block(doc as Plain, 0, out)) return undefined;
  return `${out.join("\n")}\n`;
}
