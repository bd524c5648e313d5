/**
 * go-plugin handshake constants and the one line a plugin prints on stdout.
 * Format: `CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT`.
 */
export const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 6;

export const COOKIE_MISSING_MESSAGE =
  "This binary is a plugin. These are not meant to be executed directly.\n" +
  "Please execute the program that consumes these plugins, which will\n" +
  "load any plugins automatically (here: terraform, with the provider\n" +
  'source "otterscale/otterscale").\n';

/**
 * The handshake line, e.g. `1|6|tcp|127.0.0.1:41235|grpc|MIIB...` (base64 of the DER, `=` padding
 * stripped as go-plugin's RawStdEncoding expects). `certDer` undefined = plaintext (reattach/debug).
 */
export function handshakeLine(port: number, certDer?: Uint8Array): string {
  const cert = certDer ? Buffer.from(certDer).toString("base64").replace(/=+$/, "") : "";
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${cert}\n`;
}

/** True when Terraform may speak protocol 6 to us (absent env = assume yes, as go-plugin does). */
export function offersProtocol6(env: NodeJS.ProcessEnv): boolean {
  const offered = env.PLUGIN_PROTOCOL_VERSIONS;
  return !offered || offered.split(",").map((s) => s.trim()).includes(String(APP_PROTOCOL_VERSION));
}
