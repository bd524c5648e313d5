/**
 * A minimal ASN.1 DER encoder: just the universal types an X.509 v3 certificate needs. Written by
 * hand so the provider's handshake does not load an X.509 library (startup time matters: Terraform
 * starts one provider process per graph walk).
 *
 * Example: `seq(int(2n), utf8("x"))` -> `30 06 02 01 02 0c 01 78`.
 */

/** Tag-length-value with DER definite length (short form below 128 bytes, long form above). */
export function tlv(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
export const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
/** BIT STRING with no unused bits. */
export const bits = (b: Uint8Array): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
/** Context-specific constructed tag `[n]` (explicit tagging). */
export const explicit = (n: number, body: Uint8Array): Buffer => tlv(0xa0 | n, body);
/** Context-specific primitive tag `[n]` (implicit tagging, e.g. GeneralName dNSName = [2]). */
export const implicit = (n: number, body: Uint8Array): Buffer => tlv(0x80 | n, body);

/** Non-negative INTEGER, minimal two's complement (a leading 0 when the top bit is set). */
export function int(v: bigint | Uint8Array): Buffer {
  let b: Buffer;
  if (typeof v === "bigint") {
    const hex = v.toString(16);
    b = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  } else b = Buffer.from(v);
  while (b.length > 1 && b[0] === 0 && (b[1] & 0x80) === 0) b = b.subarray(1);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

/** OBJECT IDENTIFIER from dotted form (`1.2.840.10045.2.1`). */
export function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime (years 1950-2049) or GeneralizedTime, as RFC 5280 requires. */
export function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z"); // 20250101120000Z
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), "ascii")) : tlv(0x18, Buffer.from(iso, "ascii"));
}
