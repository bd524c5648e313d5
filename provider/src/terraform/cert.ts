/**
 * The self-signed certificate go-plugin's AutoMTLS expects from a plugin: ECDSA P-256, CN and
 * SAN `localhost`, usable for both server and client auth. Terraform pins exactly this certificate
 * (it arrives in the handshake line), so no CA is involved.
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { bits, bool, explicit, implicit, int, octets, oid, seq, set, time, utf8 } from "./der";

export interface SelfSignedCert {
  /** DER of the certificate (what the handshake line carries, base64). */
  readonly der: Buffer;
  readonly certPem: string;
  readonly keyPem: string;
}

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

const toPem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;

/**
 * Generates a fresh key and a certificate valid from 30 s ago for `validDays` (clock skew between
 * Terraform and the plugin is zero, but a margin costs nothing).
 */
export function selfSignedCert(now = new Date(), validDays = 365): SelfSignedCert {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const algorithm = seq(oid(OID.ecdsaWithSHA256));
  const name = seq(
    set(seq(oid(OID.organization), utf8("otterscale-iac"))),
    set(seq(oid(OID.commonName), utf8("localhost"))),
  );
  const extension = (id: string, critical: boolean, value: Buffer) =>
    seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
  // keyUsage as go-plugin sets it: digitalSignature (bit 0) | keyEncipherment (2) | keyAgreement (4)
  // | keyCertSign (5) -> 1010 1100 = 0xac, with 2 unused trailing bits.
  const keyUsage = Buffer.from([0x03, 0x02, 0x02, 0xac]);
  const extensions = explicit(
    3,
    seq(
      extension(OID.keyUsage, true, keyUsage),
      extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.subjectAltName, false, seq(implicit(2, Buffer.from("localhost", "ascii")))),
    ),
  );
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // positive
  const notBefore = new Date(now.getTime() - 30_000);
  const notAfter = new Date(now.getTime() + validDays * 86_400_000);
  const tbs = seq(
    explicit(0, int(2n)), // v3
    int(serial),
    algorithm,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    extensions,
  );
  const signature = sign("sha256", tbs, privateKey); // DER-encoded ECDSA signature
  const der = seq(tbs, algorithm, bits(signature));
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { der, certPem: toPem("CERTIFICATE", der), keyPem };
}
