/**
 * Logging for a plugin process: hclog JSON lines on stderr, which go-plugin parses and forwards to
 * Terraform's own log (visible with TF_LOG=debug). stdout belongs to the handshake and must stay
 * clean. Never pass secrets here. As a safety net, every URL in the message and in string field
 * values is redacted as a controller URL (user info and query values masked): TF_LOG output is
 * shared in bug reports, and an error from a library may quote a URL with its API key.
 */
import { redactInText } from "../domain/redact";

export type Level = "trace" | "debug" | "info" | "warn" | "error";

const ORDER: Record<Level, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

function threshold(): number {
  const env = (process.env.TF_LOG_PROVIDER ?? process.env.TF_LOG ?? "info").toLowerCase();
  return env in ORDER ? ORDER[env as Level] : ORDER.info;
}

let min: number | undefined;

/**
 * One JSON line per entry, e.g.
 * `{"@level":"info","@message":"listening","@module":"otterscale","@timestamp":"2025-01-01T00:00:00.000000Z","port":4242}`.
 */
export function formatEntry(level: Level, message: string, fields: Record<string, unknown> = {}, now = new Date()): string {
  const ts = now.toISOString().replace(/Z$/, "000Z"); // hclog uses microseconds
  const entry = { "@level": level, "@message": redactInText(message), "@module": "otterscale", "@timestamp": ts, ...(scrub(fields) as object) };
  return `${JSON.stringify(entry)}\n`;
}

/** Field values with every URL redacted, at any depth. */
function scrub(v: unknown): unknown {
  if (typeof v === "string") return redactInText(v);
  if (Array.isArray(v)) return v.map(scrub);
  if (v && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
  return v;
}

export function log(level: Level, message: string, fields?: Record<string, unknown>): void {
  min ??= threshold();
  if (ORDER[level] < min) return;
  process.stderr.write(formatEntry(level, message, fields));
}
