/**
 * The MAAS 2.0 machine endpoints the adapter uses, over axios: every request freshly signed
 * (OAuth PLAINTEXT), bounded (timeout, deadline), retried when transient (5xx, 429, connection
 * errors) and translated into an OtterscaleError that names the machine and carries MAAS's own
 * message. axios errors hold the request (Authorization header, BMC password): they never escape.
 */
import type { AxiosInstance, AxiosResponse, AxiosStatic } from "axios";
import { OtterscaleError } from "../../domain/errors";
import { retrying, type Backoff } from "../retry";
import type { MaasOptions } from "./config";
import { oauthHeader } from "./oauth";

/** The fields of a MAAS machine the adapter reads. */
export interface Machine {
  readonly system_id: string;
  readonly hostname: string;
  readonly status_name: string;
  readonly status_message?: string | null;
  readonly power_type?: string;
  readonly architecture?: string;
}

export interface CallOptions {
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  /** Sensitive values this call carries; scrubbed from any error message. */
  readonly secrets?: readonly string[];
}

const REQUEST_TIMEOUT_MS = 30_000;
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND", "ECONNABORTED"]);

/** A failed request, reduced to what is safe to show. */
class MaasFailure extends Error {
  constructor(
    readonly status: number | undefined,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** MAAS error bodies: `{"field": ["msg", ...]}` (validation) or plain text. */
export function maasMessage(data: unknown): string {
  if (typeof data === "string") return data.trim().slice(0, 500) || "no message";
  if (data && typeof data === "object") {
    return Object.entries(data as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : String(v)}`)
      .join("; ");
  }
  return "no message";
}

/** States an operation leads to: seeing one after a lost answer means the operation happened. */
const AFTER_OP: Record<"commission" | "release", ReadonlySet<string>> = {
  commission: new Set(["Commissioning", "Testing", "Ready"]),
  release: new Set(["Releasing", "Disk erasing", "Ready"]),
};

/** A failed call whose effect is unknown: no answer, or MAAS failed (5xx / 429). */
function transientFailure(e: unknown): boolean {
  if (!OtterscaleError.isInstance(e)) return false;
  const status = e.details.httpStatus as number | undefined;
  return status === undefined || status === 429 || status >= 500;
}

/** Retry 5xx, 429 and connection failures. MAAS's 409 means "wrong machine state": not transient. */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof MaasFailure)) return false;
  return e.status === undefined || e.status === 429 || e.status >= 500;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("***");
  return out;
}

/** A form body; arrays repeat the field (`mac_addresses=a&mac_addresses=b`). */
export type Form = Record<string, string | readonly string[] | undefined>;

function formOf(form: Form): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (v === undefined) continue;
    for (const item of typeof v === "string" ? [v] : v) p.append(k, item);
  }
  return p;
}

export class MaasClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly options: MaasOptions,
    private readonly retry?: Backoff,
  ) {
    // Loaded on first use: front ends import the registry on every start (Terraform's handshake is timed).
    const axios = require("axios") as AxiosStatic;
    this.http = axios.create({ baseURL: options.apiUrl, validateStatus: () => true, maxRedirects: 0 });
  }

  /** Where MAAS is (no key), for messages. */
  get where(): string {
    return this.options.apiUrl;
  }

  private async request<T>(what: string, method: "GET" | "POST" | "PUT" | "DELETE", path: string, opts: CallOptions, init: { params?: Record<string, string>; form?: Form } = {}): Promise<AxiosResponse<T>> {
    const secrets = [this.options.key.secret, ...(opts.secrets ?? [])];
    try {
      return await retrying(
        async () => {
          const left = opts.deadline === undefined ? REQUEST_TIMEOUT_MS : opts.deadline - Date.now();
          let res: AxiosResponse<T>;
          try {
            res = await this.http.request<T>({
              method,
              url: path,
              params: init.params,
              data: init.form ? formOf(init.form) : undefined,
              headers: { Authorization: oauthHeader(this.options.key), Accept: "application/json" },
              timeout: Math.max(1_000, Math.min(REQUEST_TIMEOUT_MS, left)),
              signal: opts.signal,
            });
          } catch (e) {
            const code = (e as { code?: string }).code;
            throw new MaasFailure(undefined, code && (NETWORK.has(code) || code.startsWith("ERR_")) ? code : "connection failed");
          }
          if (res.status >= 400) throw new MaasFailure(res.status, maasMessage(res.data));
          return res;
        },
        // POSTs (enlist, commission, release) are not idempotent: a retry after a lost answer
        // could enlist twice or fail on a state change that already happened. Callers re-read.
        method === "POST" ? () => false : isTransient,
        { deadline: opts.deadline, signal: opts.signal, backoff: this.retry },
      );
    } catch (e) {
      if (OtterscaleError.isInstance(e)) throw e;
      const f = e as MaasFailure;
      const text =
        f.status === undefined
          ? `${what}: cannot reach MAAS at ${this.where} (${f.detail}); check controller_url and that MAAS is up`
          : `${what}: MAAS ${f.status >= 500 ? "failed after retries" : "refused it"} (HTTP ${f.status}): ${f.detail}${f.status === 401 || f.status === 403 ? "; check the API key (maas apikey --username NAME)" : ""}`;
      throw new OtterscaleError("controller_failed", scrub(text, secrets), [], f.status ? { httpStatus: f.status } : {});
    }
  }

  /** The machine with this hostname, if any. */
  async findByHostname(hostname: string, opts: CallOptions = {}): Promise<Machine | undefined> {
    const res = await this.request<Machine[]>(`find MAAS machine ${hostname}`, "GET", "machines/", opts, { params: { hostname } });
    return (Array.isArray(res.data) ? res.data : []).find((m) => m.hostname === hostname);
  }

  async get(systemId: string, what: string, opts: CallOptions = {}): Promise<Machine | undefined> {
    try {
      return (await this.request<Machine>(what, "GET", `machines/${encodeURIComponent(systemId)}/`, opts)).data;
    } catch (e) {
      if (OtterscaleError.isInstance(e) && e.details.httpStatus === 404) return undefined;
      throw e;
    }
  }

  async list(opts: CallOptions = {}): Promise<Machine[]> {
    const res = await this.request<Machine[]>("list MAAS machines", "GET", "machines/", opts);
    return Array.isArray(res.data) ? res.data : [];
  }

  /**
   * Enlists a machine (`POST machines/`). The POST is not retried; when its answer is lost or
   * MAAS failed transiently, the machine is looked up by hostname: it may have been enlisted.
   */
  async create(hostname: string, form: Form, opts: CallOptions = {}): Promise<Machine> {
    try {
      return (await this.request<Machine>(`enlist MAAS machine ${hostname}`, "POST", "machines/", opts, { form })).data;
    } catch (e) {
      if (!transientFailure(e)) throw e;
      const m = await this.findByHostname(hostname, opts);
      if (m) return m;
      throw e;
    }
  }

  /** Updates machine fields (`PUT machines/{system_id}/`). */
  async update(m: Machine, form: Form, opts: CallOptions = {}): Promise<Machine> {
    return (await this.request<Machine>(`update MAAS machine ${m.hostname}`, "PUT", `machines/${encodeURIComponent(m.system_id)}/`, opts, { form })).data;
  }

  /**
   * A machine operation (`POST machines/{system_id}/?op=commission`; MAAS docs write it
   * `op-commission`). Not retried: after a transient failure the machine is re-read, and a state
   * the operation leads to counts as success.
   */
  async op(m: Machine, op: "commission" | "release", opts: CallOptions = {}): Promise<Machine> {
    try {
      return (await this.request<Machine>(`${op} MAAS machine ${m.hostname}`, "POST", `machines/${encodeURIComponent(m.system_id)}/`, opts, { params: { op } })).data;
    } catch (e) {
      if (!transientFailure(e)) throw e;
      const cur = await this.get(m.system_id, `read MAAS machine ${m.hostname}`, opts);
      if (cur && cur.status_name !== m.status_name && AFTER_OP[op].has(cur.status_name)) return cur;
      throw e;
    }
  }

  /** Deletes the machine; a machine already gone is fine. */
  async remove(m: Machine, opts: CallOptions = {}): Promise<void> {
    try {
      await this.request(`delete MAAS machine ${m.hostname}`, "DELETE", `machines/${encodeURIComponent(m.system_id)}/`, opts);
    } catch (e) {
      if (OtterscaleError.isInstance(e) && e.details.httpStatus === 404) return;
      throw e;
    }
  }
}
