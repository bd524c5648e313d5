/**
 * Kubernetes API failures: which are worth retrying, and the message an operator sees. Messages
 * are built from the HTTP code and the API's Status (`reason`, `message`), never from the client
 * library's own message (which embeds response headers) and never with a secret in them.
 */
import { OtterscaleError } from "../../domain/errors";

/** Connection-level failures (no HTTP response). */
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"]);

export interface ApiFailure {
  readonly code: number;
  readonly reason?: string;
  readonly message?: string;
}

/** The HTTP code and Status of an ApiException-like error, or undefined for other errors. */
export function apiFailureOf(e: unknown): ApiFailure | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "number") return undefined;
  let body = (e as { body?: unknown }).body;
  if (typeof body === "string") {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return { code, message: text.slice(0, 300) };
    }
  }
  const b = (body ?? {}) as { reason?: unknown; message?: unknown };
  return {
    code,
    reason: typeof b.reason === "string" ? b.reason : undefined,
    message: typeof b.message === "string" ? b.message : undefined,
  };
}

/**
 * True for a failure of the client's discovery request (`GET /apis/<group>/<version>`), which the
 * client reports with this message prefix. A 404 there means the kind is not served (CRD missing),
 * not that an object is absent.
 */
export function isDiscoveryFailure(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith("Failed to fetch resource metadata for ");
}

/** The errno-style code of a connection failure (undici puts it on `cause`). */
export function networkCodeOf(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && (NETWORK.has(code) || code.startsWith("UND_ERR"))) return code;
    const name = (cur as { name?: unknown }).name;
    if (name === "AbortError" || name === "TimeoutError") return "request timeout";
  }
  return undefined;
}

/**
 * Retry 409 Conflict (optimistic concurrency), 429, 5xx and connection failures; everything else
 * (4xx) is the request's fault and retrying cannot help.
 */
export function isTransient(e: unknown): boolean {
  const f = apiFailureOf(e);
  if (f) return (f.code === 409 && f.reason !== "AlreadyExists") || f.code === 429 || f.code >= 500;
  return networkCodeOf(e) !== undefined;
}

/** Replaces each secret value that occurs in `text` with `***`. */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("***");
  return out;
}

const HINT: Readonly<Record<number, string>> = {
  401: "the kubeconfig's credentials were rejected; refresh them",
  403: "the identity lacks RBAC permission; bind the ClusterRole in deploy/rbac/clusterrole.yaml",
  404: "not found",
};

/**
 * An OtterscaleError for a failed call. `what` names the operation and object
 * (`apply VirtualMachine acme/web-1`); `server` is the API server URL for connection failures.
 *
 * Example: a 422 with Status message `VirtualMachine "Web" is invalid: metadata.name: ...` ->
 * `apply VirtualMachine acme/Web: the API server refused it (422 Invalid): VirtualMachine "Web" is invalid: ...`.
 */
export function translate(e: unknown, what: string, server: string, secrets: readonly string[] = []): OtterscaleError {
  if (OtterscaleError.isInstance(e)) return e;
  const missingKind = /^Failed to fetch resource metadata for (.+)\/([A-Za-z0-9]+): /.exec(e instanceof Error ? e.message : "");
  if (missingKind && apiFailureOf(e)?.code === 404) return notServed(what, missingKind[1], missingKind[2]);
  const f = apiFailureOf(e);
  if (f) {
    const status = `${f.code}${f.reason ? ` ${f.reason}` : ""}`;
    const detail = f.message ?? HINT[f.code] ?? "no message";
    const hint = f.code === 401 || f.code === 403 ? `; ${HINT[f.code]}` : "";
    const verdict = f.code >= 500 || f.code === 429 || f.code === 409 ? "failed after retries" : "refused it";
    return new OtterscaleError("controller_failed", scrub(`${what}: the API server ${verdict} (${status}): ${detail}${hint}`, secrets), [], {
      httpStatus: f.code,
      ...(f.reason ? { reason: f.reason } : {}),
    });
  }
  const net = networkCodeOf(e);
  if (net) {
    return new OtterscaleError("controller_failed", `${what}: cannot reach the Kubernetes API server at ${server} (${net}); check the kubeconfig and that the cluster is up`);
  }
  const msg = e instanceof Error ? e.message : String(e);
  const unknownKind = /Unrecognized API version and kind: (\S+) (\S+)/.exec(msg);
  if (unknownKind) return notServed(what, unknownKind[1], unknownKind[2]);
  return new OtterscaleError("controller_failed", scrub(`${what}: ${msg.split("\n")[0]}`, secrets));
}

function notServed(what: string, apiVersion: string, kind: string): OtterscaleError {
  return new OtterscaleError(
    "controller_failed",
    `${what}: the cluster does not serve ${apiVersion} ${kind}; install its CRD (KubeVirt, Rook, Flux, Metal3 or the OtterScale inventory CRDs)`,
  );
}
