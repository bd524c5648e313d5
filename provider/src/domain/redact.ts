/**
 * Credentials in URLs, masked before a URL reaches a message or a log line. The URLs are what
 * users typed, often malformed (a password with `/`, `#`, `@` or spaces; no host at all), which
 * the WHATWG parser rejects or splits in the wrong place. So the rule is textual and errs towards
 * masking too much:
 * - userinfo is everything between `://` and the LAST `@` (a password may itself contain `@`);
 *   its password part (after the first `:`) is masked, or all of it for controller URLs;
 * - query values are masked by parameter name (`password=`) or, for controller URLs, all of them
 *   (`maas://host?key=consumer:token:secret`), up to the next `&` (a value may contain `#`).
 *
 * Example: `redactLedgerUrl("postgres://u:p@ss/w#rd@host/db")` -> `postgres://u:***@host/db`;
 * `redactControllerUrl("maas://h:5240/MAAS?key=a:b:c&tls=1")` -> `maas://h:5240/MAAS?key=***&tls=***`.
 */

const MASK = "***";

export interface Redaction {
  /** Mask the user name as well as the password (an API key may be the user name: `maas://KEY@host`). */
  readonly wholeUserinfo: boolean;
  /** Query parameters whose values are masked (lowercase names), or `all`. */
  readonly query: "all" | ReadonlySet<string>;
}

/** Ledger URLs: the user name helps with "authentication failed"; the password never shows. */
export const LEDGER_URL: Redaction = { wholeUserinfo: false, query: new Set(["password", "sslpassword"]) };
/** Controller URLs carry API keys in the query or the user info: mask every value. */
export const CONTROLLER_URL: Redaction = { wholeUserinfo: true, query: "all" };

/** `url` with its credentials masked as `how` says. */
export function redactUrl(url: string, how: Redaction): string {
  const sep = url.indexOf("://");
  const start = sep < 0 ? 0 : sep + 3;
  const at = url.lastIndexOf("@");
  // `scheme:///path` has an empty authority: an `@` further on belongs to the path.
  if (at < start || url[start] === "/") return maskQuery(url, how);
  const userinfo = url.slice(start, at);
  const masked = maskUserinfo(userinfo, how);
  // Nothing secret-looking before the `@` (no `:`): it may be a user name, or the `@` is in the
  // path or query, so the query is searched in the whole URL.
  if (masked === userinfo) return maskQuery(url, how);
  return `${url.slice(0, start)}${masked}@${maskQuery(url.slice(at + 1), how)}`;
}

/** A ledger URL safe to show. */
export const redactLedgerUrl = (url: string): string => redactUrl(url, LEDGER_URL);
/** A controller URL safe to show. */
export const redactControllerUrl = (url: string): string => redactUrl(url, CONTROLLER_URL);

function maskUserinfo(userinfo: string, how: Redaction): string {
  if (how.wholeUserinfo) return userinfo === "" ? userinfo : MASK;
  const colon = userinfo.indexOf(":");
  return colon < 0 ? userinfo : `${userinfo.slice(0, colon + 1)}${MASK}`;
}

function maskQuery(text: string, how: Redaction): string {
  return text.replace(/([?&;\s]([^=&#?\s]+)=)[^&]*/g, (whole, prefix: string, name: string) =>
    how.query === "all" || how.query.has(name.toLowerCase()) ? `${prefix}${MASK}` : whole,
  );
}

/**
 * Every URL inside free text (a log message, an error from a library) redacted as a controller
 * URL, the strictest rule: a safety net for text that did not go through the helpers above. A URL
 * ends at whitespace or a quote here, so a password with a space is only fully masked when the URL
 * is redacted on its own (as `redactInText` does for a value that is a whole URL).
 *
 * Example: `redactInText('open "maas://h?key=a:b:c" failed')` -> `open "maas://h?key=***" failed`.
 */
export function redactInText(text: string): string {
  if (!text.includes("://")) return text;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) && !/["'`<>\n]/.test(text)) return redactControllerUrl(text);
  return text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'`<>]*/g, (u) => redactControllerUrl(u));
}
