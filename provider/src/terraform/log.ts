/**
 * Logging for a plugin process: hclog JSON lines on stderr, which go-plugin parses and forwards to
 * Terraform's own log (visible with TF_LOG=debug). stdout belongs to the handshake and must stay
 * clean. Never pass secrets here: values are logged as given.
 */
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
  return `${JSON.stringify({ "@level": level, "@message": message, "@module": "otterscale", "@timestamp": ts, ...fields })}\n`;
}

export function log(level: Level, message: string, fields?: Record<string, unknown>): void {
  min ??= threshold();
  if (ORDER[level] < min) return;
  process.stderr.write(formatEntry(level, message, fields));
}
