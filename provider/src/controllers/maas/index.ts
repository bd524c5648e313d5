/**
 * The maas adapter (`maas://host:port/MAAS?key=...`): bare-metal servers through the MAAS 2.0
 * REST API. See controller.ts.
 */
import type { Backoff } from "../retry";
import { MaasClient } from "./client";
import { parseMaasUrl } from "./config";
import { MaasControllers } from "./controller";

export { MaasClient, maasMessage, type Machine } from "./client";
export { MAAS_KEY_ENV, maskMaasUrl, parseMaasKey, parseMaasUrl, type MaasKey, type MaasOptions } from "./config";
export { ARCHITECTURE_LABEL, MAC_LABEL, MaasControllers, MaasServerController, enlistForm, powerForm } from "./controller";
export { oauthHeader, percentEncode } from "./oauth";
export { statusFromMaas } from "./status";

/** Opens `maas://...`; throws `config` errors for a bad URL or key. Contacts MAAS only on the first call. */
export function openMaas(url: string, retry?: Backoff): MaasControllers {
  const options = parseMaasUrl(url);
  return new MaasControllers(options.safeUrl, new MaasClient(options, retry));
}
