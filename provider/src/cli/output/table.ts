/**
 * Aligned plain-text tables for human output. Pure: rows of cells in, lines out.
 *
 * Example: `formatTable([{ header: "NAME" }, { header: "CPU", align: "right" }], [["s1", "4"], ["s10", "16"]])`
 * ->
 *   NAME  CPU
 *   s1      4
 *   s10    16
 */

export interface Column {
  readonly header: string;
  /** Numbers read best right-aligned. Default left. */
  readonly align?: "left" | "right";
}

export type Cell = string | number | boolean | null | undefined;

/** Text of a cell: empty for null/undefined, `-` never invented (callers decide what "none" looks like). */
export function cellText(c: Cell): string {
  if (c === null || c === undefined) return "";
  return String(c);
}

/** Visible width of a string: code points, ignoring ANSI colour sequences. */
export function visibleWidth(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, "")].length;
}

function pad(s: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - visibleWidth(s)));
  return align === "right" ? fill + s : s + fill;
}

/**
 * Lines of a table: a header line and one line per row, columns separated by two spaces, the
 * last column not padded on the right (no trailing blanks). An empty `rows` still prints the header.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly Cell[])[]): string[] {
  const text = rows.map((r) => columns.map((_, i) => cellText(r[i])));
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...text.map((r) => visibleWidth(r[i]))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 && (columns[i].align ?? "left") === "left" ? cell : pad(cell, widths[i], columns[i].align ?? "left")))
      .join("  ")
      .replace(/\s+$/, "");
  return [line(columns.map((c) => c.header)), ...text.map(line)];
}
