/**
 * Where command output goes: results on stdout (a table for people, JSON for machines), progress
 * and notes on stderr so that `--output json > file` stays clean.
 */
import { formatTable, type Cell, type Column } from "./table";

export type OutputFormat = "table" | "json";

export interface Printer {
  readonly format: OutputFormat;
  /** Writes one JSON document (pretty, newline-terminated) to stdout. */
  json(value: unknown): void;
  /** Writes an aligned table to stdout, with an optional title line above it. */
  table(columns: readonly Column[], rows: readonly (readonly Cell[])[], title?: string): void;
  /** Writes lines of text to stdout. */
  text(...lines: string[]): void;
  /** Progress or a note on stderr. */
  progress(line: string): void;
  /** Bold/red/yellow/green when colour is on, the plain text otherwise. */
  style(kind: "bold" | "red" | "yellow" | "green" | "dim", s: string): string;
}

const ANSI: Record<"bold" | "red" | "yellow" | "green" | "dim", [string, string]> = {
  bold: ["\x1b[1m", "\x1b[22m"],
  red: ["\x1b[31m", "\x1b[39m"],
  yellow: ["\x1b[33m", "\x1b[39m"],
  green: ["\x1b[32m", "\x1b[39m"],
  dim: ["\x1b[2m", "\x1b[22m"],
};

export interface PrinterOptions {
  readonly format: OutputFormat;
  /** `--no-color` turns it off; so do NO_COLOR and a stdout that is not a terminal. */
  readonly color: boolean;
  readonly quiet?: boolean;
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr?: NodeJS.WritableStream;
}

export function createPrinter(o: PrinterOptions): Printer {
  const out = o.stdout ?? process.stdout;
  const err = o.stderr ?? process.stderr;
  const color = o.color && o.format === "table" && !process.env.NO_COLOR && (out as { isTTY?: boolean }).isTTY === true;
  const style: Printer["style"] = (kind, s) => (color ? `${ANSI[kind][0]}${s}${ANSI[kind][1]}` : s);
  return {
    format: o.format,
    json: (value) => void out.write(`${JSON.stringify(value, null, 2)}\n`),
    table(columns, rows, title) {
      const lines = formatTable(columns, rows);
      const [head, ...body] = lines;
      out.write(`${title ? `${style("bold", title)}\n` : ""}${style("bold", head)}\n${body.map((l) => `${l}\n`).join("")}`);
    },
    text: (...lines) => void out.write(lines.map((l) => `${l}\n`).join("")),
    progress: (line) => void (o.quiet ? undefined : err.write(`${line}\n`)),
    style,
  };
}
