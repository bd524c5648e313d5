/**
 * Small formatting helpers shared by commands and the review report: numbers, percentages, text
 * bars, times and durations. Pure.
 */

/**
 * A quantity in user units without floating-point noise: at most 3 decimals (the engine's
 * fixed-point precision), trailing zeros dropped.
 *
 * Example: 0.1 + 0.2 -> "0.3"; 16 -> "16"; null -> "-".
 */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return "-";
  return String(Math.round(v * 1000) / 1000);
}

/** Share of `limit` used, in whole percent (rounded); undefined without a positive limit. */
export function percent(used: number, limit: number | null | undefined): number | undefined {
  if (limit === null || limit === undefined || limit <= 0) return undefined;
  return Math.round((used / limit) * 100);
}

/**
 * A text bar of `width` cells for `used` out of `limit`, with the percentage.
 *
 * Example: bar(13, 25) -> "█████░░░░░ 52%" (13/25 = 0.52 -> 5.2 cells, rounded to 5).
 * Over the limit the bar is full and the percentage says by how much: bar(30, 25) -> "██████████ 120%".
 * Without a limit: "no limit". A limit of 0 with no use: "0 allowed"; with use: "over (limit 0)".
 */
export function bar(used: number, limit: number | null | undefined, width = 10): string {
  if (limit === null || limit === undefined) return "no limit";
  if (limit <= 0) return used > 0 ? "over (limit 0)" : "0 allowed";
  const ratio = used / limit;
  const filled = Math.max(0, Math.min(width, Math.round(ratio * width)));
  return `${"█".repeat(filled)}${"░".repeat(width - filled)} ${Math.round(ratio * 100)}%`;
}

/** `before -> after` when the value changes, else just the value. */
export function change(before: number | null | undefined, after: number | null | undefined): string {
  return before === after ? num(after) : `${num(before)} -> ${num(after)}`;
}

/** ISO 8601 in UTC, second precision: `2025-01-31T12:00:00Z`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `--since`: a duration back from `now` (`90s`, `15m`, `1h`, `2d`, `1h30m`, `1w`) or an
 * ISO 8601 time (`2025-01-31`, `2025-01-31T12:00:00Z`). Returns epoch ms, or undefined when the
 * text is neither.
 *
 * Example: parseSince("1h30m", 10_000_000) -> 10_000_000 - 5_400_000 = 4_600_000.
 */
export function parseSince(text: string, now: number): number | undefined {
  const t = text.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) {
    let total = 0;
    for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
    return now - total;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** `{cpu_cores: 4, servers: ["s1"]}` -> `cpu_cores=4 servers=s1` (audit deltas in one line). */
export function inlineObject(o: Readonly<Record<string, unknown>>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}
