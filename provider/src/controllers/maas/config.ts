/**
 * `maas://host:port/MAAS?key=consumer:token:secret` -> where the MAAS 2.0 API is and the API key.
 * The key may also come from env `OTTERSCALE_MAAS_API_KEY` (preferred: URLs end up in state and
 * shell history). It is sensitive: no message here ever contains it.
 */
import { OtterscaleError } from "../../domain/errors";
import { redactControllerUrl } from "../../domain/redact";

export const MAAS_KEY_ENV = "OTTERSCALE_MAAS_API_KEY";

export interface MaasKey {
  readonly consumer: string;
  readonly token: string;
  /** Sensitive. */
  readonly secret: string;
}

export interface MaasOptions {
  /** `http(s)://host:port/MAAS/api/2.0/` (trailing slash). */
  readonly apiUrl: string;
  readonly key: MaasKey;
  /** The controller URL with the key masked, safe to show. */
  readonly safeUrl: string;
}

function configError(message: string): OtterscaleError {
  return new OtterscaleError("config", message, [{ path: "controller_url", message }]);
}

/** `consumer:token:secret`, as `maas apikey` prints it. */
export function parseMaasKey(text: string): MaasKey {
  const parts = text.trim().split(":");
  if (parts.length !== 3 || parts.some((p) => p === "")) {
    throw configError(`the MAAS API key must have the form consumer:token:secret (as printed by \`maas apikey --username NAME\`); got ${parts.length} part(s)`);
  }
  return { consumer: parts[0], token: parts[1], secret: parts[2] };
}

/** The URL with its user info and every query value (the `key=`) masked. */
export function maskMaasUrl(url: string): string {
  return redactControllerUrl(url);
}

/**
 * Parses the controller URL. Options: `key` (else env OTTERSCALE_MAAS_API_KEY), `tls=1` for https.
 * The path defaults to `/MAAS`.
 *
 * Example: `maas://10.0.0.2:5240/MAAS?key=a:b:c` -> apiUrl `http://10.0.0.2:5240/MAAS/api/2.0/`.
 */
export function parseMaasUrl(url: string, env: NodeJS.ProcessEnv = process.env): MaasOptions {
  const safeUrl = maskMaasUrl(url);
  let u: URL;
  try {
    u = new URL(url.replace(/^maas:/i, "http:"));
  } catch {
    throw configError(`controller_url ${safeUrl}: expected maas://host:port/MAAS?key=consumer:token:secret`);
  }
  if (!u.hostname) throw configError(`controller_url ${safeUrl}: the MAAS host is missing (maas://host:5240/MAAS)`);
  if (u.username || u.password) throw configError(`controller_url ${safeUrl}: pass the API key as ?key= or env ${MAAS_KEY_ENV}, not as user info`);
  for (const k of u.searchParams.keys()) {
    if (k !== "key" && k !== "tls") throw configError(`controller_url ${safeUrl}: unknown option "${k}" (known: key, tls)`);
  }
  const keyText = u.searchParams.get("key") ?? env[MAAS_KEY_ENV];
  if (!keyText) throw configError(`controller_url ${safeUrl}: no MAAS API key; set env ${MAAS_KEY_ENV} or add ?key=consumer:token:secret`);
  const tls = u.searchParams.get("tls");
  const scheme = tls === "1" || tls === "true" ? "https" : "http";
  const base = (u.pathname === "/" || u.pathname === "" ? "/MAAS" : u.pathname).replace(/\/+$/, "");
  return { apiUrl: `${scheme}://${u.host}${base}/api/2.0/`, key: parseMaasKey(keyText), safeUrl };
}
