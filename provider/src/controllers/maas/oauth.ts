/**
 * MAAS API authentication: OAuth 1.0 with the PLAINTEXT signature method, as MAAS's own clients
 * send it. The signature is `<consumer secret>&<token secret>`; MAAS keys have an empty consumer
 * secret, so it is `&<token secret>`. Values are percent-encoded (RFC 5849 3.5.1).
 */
import { randomBytes } from "node:crypto";
import type { MaasKey } from "./config";

/** RFC 3986 unreserved characters stay; everything else is %XX (stricter than encodeURIComponent). */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The Authorization header value for one request. Nonce and timestamp are fresh per request
 * (MAAS rejects replays); tests inject them.
 *
 * Example: key a:b:c, nonce n, time 1 ->
 * `OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="a", oauth_token="b", oauth_signature="%26c", oauth_nonce="n", oauth_timestamp="1"`.
 */
export function oauthHeader(key: MaasKey, nonce: string = randomBytes(16).toString("hex"), timestamp: number = Math.floor(Date.now() / 1000)): string {
  const params: [string, string][] = [
    ["oauth_version", "1.0"],
    ["oauth_signature_method", "PLAINTEXT"],
    ["oauth_consumer_key", key.consumer],
    ["oauth_token", key.token],
    ["oauth_signature", `&${key.secret}`],
    ["oauth_nonce", nonce],
    ["oauth_timestamp", String(timestamp)],
  ];
  return `OAuth ${params.map(([k, v]) => `${k}="${percentEncode(v)}"`).join(", ")}`;
}
