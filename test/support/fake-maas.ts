/**
 * A small MAAS 2.0 region API for tests (node:http on 127.0.0.1), enforcing what the maas adapter
 * relies on:
 *  - OAuth 1.0 PLAINTEXT: every request carries `Authorization: OAuth ...` with version 1.0,
 *    method PLAINTEXT, the right consumer key and token, signature `&<secret>` (percent-decoded),
 *    a nonce and a timestamp; else 401 with MAAS's text body;
 *  - machines: `GET machines/` (with `hostname` filter), `POST machines/` (form: hostname,
 *    architecture, mac_addresses, power_type, power_parameters_*; 400 with `{"field": [msg]}` for
 *    bad input or a taken hostname), `GET/PUT/DELETE machines/{id}/`,
 *    `POST machines/{id}/?op=commission|release` (409 in a wrong state, 400 for unknown ops);
 *  - lifecycle: New -> (commission) Commissioning -> Ready after a delay (or Failed commissioning,
 *    or never); Allocated/Deployed -> (release) Releasing -> Ready after a delay; DELETE refuses
 *    machines in use (409);
 *  - fault injection: 503 for the next N matching requests.
 */
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeMaasOptions {
  commissionDelayMs?: number;
  releaseDelayMs?: number;
  /** Commissioning never finishes. */
  neverReady?: boolean;
  /** Commissioning ends in `Failed commissioning`. */
  failCommissioning?: boolean;
  key?: { consumer: string; token: string; secret: string };
}

export interface FakeMachine {
  system_id: string;
  hostname: string;
  architecture: string;
  status_name: string;
  status_message: string | null;
  power_type: string;
  /** Stored as MAAS stores them (the test reads the password here). */
  power_parameters: Record<string, string>;
  mac_addresses: string[];
  /** When the current transition completes. */
  until?: number;
  next?: string;
}

export interface MaasRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly status: number;
  readonly authorization?: string;
}

const ARCHITECTURES = new Set(["amd64/generic", "arm64/generic", "ppc64el/generic", "s390x/generic"]);
const POWER_TYPES = new Set(["ipmi", "redfish", "virsh", "manual"]);
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

class MaasError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === "string" ? body : JSON.stringify(body));
  }
}

/** `OAuth k="v", ...` -> decoded params. */
export function parseOAuth(header: string | undefined): Record<string, string> | undefined {
  if (!header?.startsWith("OAuth ")) return undefined;
  const out: Record<string, string> = {};
  for (const m of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) out[m[1]] = decodeURIComponent(m[2]);
  return out;
}

export class FakeMaas {
  readonly options: Required<Omit<FakeMaasOptions, "key">> & { key: NonNullable<FakeMaasOptions["key"]> };
  readonly machines = new Map<string, FakeMachine>();
  readonly requests: MaasRequest[] = [];
  private readonly faults: { remaining: number; status: number; method?: string; afterProcessing?: boolean }[] = [];
  private readonly nonces = new Set<string>();
  private server?: http.Server;
  port = 0;

  constructor(options: FakeMaasOptions = {}) {
    this.options = {
      commissionDelayMs: options.commissionDelayMs ?? 60,
      releaseDelayMs: options.releaseDelayMs ?? 40,
      neverReady: options.neverReady ?? false,
      failCommissioning: options.failCommissioning ?? false,
      key: options.key ?? { consumer: randomBytes(9).toString("hex"), token: randomBytes(9).toString("hex"), secret: randomBytes(16).toString("hex") },
    };
  }

  /** `consumer:token:secret`. */
  get apiKey(): string {
    const k = this.options.key;
    return `${k.consumer}:${k.token}:${k.secret}`;
  }

  /** `maas://127.0.0.1:PORT/MAAS` (no key). */
  get url(): string {
    return `maas://127.0.0.1:${this.port}/MAAS`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  failNext(count: number, status = 503, method?: string): void {
    this.faults.push({ remaining: count, status, method });
  }

  /** The next N matching requests are carried out, but the client gets a 502 (a proxy lost the answer). */
  loseAnswerNext(count: number, method?: string): void {
    this.faults.push({ remaining: count, status: 502, method, afterProcessing: true });
  }

  /** The machine with this hostname (transitions advanced to now). */
  byHostname(hostname: string): FakeMachine | undefined {
    const m = [...this.machines.values()].find((x) => x.hostname === hostname);
    if (m) this.tick(m);
    return m;
  }

  /** Sets a machine's state directly (as if someone deployed or broke it in the MAAS UI). */
  setStatus(hostname: string, status: string, message: string | null = null): void {
    const m = this.byHostname(hostname);
    if (!m) throw new Error(`fake maas: no machine ${hostname}`);
    m.status_name = status;
    m.status_message = message;
    m.until = m.next = undefined;
  }

  private tick(m: FakeMachine): void {
    if (m.until === undefined || Date.now() < m.until || !m.next) return;
    m.status_name = m.next;
    m.status_message = m.next === "Failed commissioning" ? "commissioning script 50-maas-01-commissioning failed" : null;
    m.until = m.next = undefined;
  }

  private view(m: FakeMachine): Record<string, unknown> {
    this.tick(m);
    return {
      system_id: m.system_id,
      hostname: m.hostname,
      fqdn: `${m.hostname}.maas`,
      architecture: m.architecture,
      status_name: m.status_name,
      status_message: m.status_message,
      power_type: m.power_type,
      interface_set: m.mac_addresses.map((mac, i) => ({ name: `eth${i}`, mac_address: mac })),
      resource_uri: `/MAAS/api/2.0/machines/${m.system_id}/`,
    };
  }

  private authorize(header: string | undefined): void {
    const p = parseOAuth(header);
    const k = this.options.key;
    const ok =
      p !== undefined &&
      p.oauth_version === "1.0" &&
      p.oauth_signature_method === "PLAINTEXT" &&
      p.oauth_consumer_key === k.consumer &&
      p.oauth_token === k.token &&
      p.oauth_signature === `&${k.secret}` &&
      !!p.oauth_nonce &&
      /^\d+$/.test(p.oauth_timestamp ?? "") &&
      Math.abs(Number(p.oauth_timestamp) - Date.now() / 1000) < 300;
    if (!ok) throw new MaasError(401, "Authorization Error: 'Expired timestamp: given 0 and now ...' or invalid credentials");
    if (this.nonces.has(p.oauth_nonce)) throw new MaasError(401, `Authorization Error: Nonce already used: ${p.oauth_nonce}`);
    this.nonces.add(p.oauth_nonce);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(u.searchParams.entries());
    const method = req.method ?? "GET";
    const reply = (status: number, body: unknown) => {
      this.requests.push({ method, path: u.pathname, query, status, authorization: req.headers.authorization });
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json" });
      res.end(status === 204 ? undefined : text);
    };
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString("utf8");
      this.authorize(req.headers.authorization);
      const fault = this.faults.find((f) => f.remaining > 0 && (!f.method || f.method === method));
      if (fault) fault.remaining--;
      if (fault && !fault.afterProcessing) throw new MaasError(fault.status, "Service Unavailable: the region is restarting");
      const form = new URLSearchParams(req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") ? raw : "");
      const [status, body] = this.route(method, u.pathname, u.searchParams, form);
      if (fault?.afterProcessing) throw new MaasError(fault.status, "Bad Gateway");
      reply(status, body);
    } catch (e) {
      if (e instanceof MaasError) reply(e.status, e.body);
      else reply(500, (e as Error).message);
    }
  }

  private route(method: string, pathname: string, query: URLSearchParams, form: URLSearchParams): [number, unknown] {
    const m = /^\/MAAS\/api\/2\.0\/machines\/(?:([^/]+)\/)?$/.exec(pathname);
    if (!m) throw new MaasError(404, "Not Found");
    const id = m[1];
    if (!id) {
      if (method === "GET") {
        const wanted = query.getAll("hostname");
        return [200, [...this.machines.values()].filter((x) => !wanted.length || wanted.includes(x.hostname)).map((x) => this.view(x))];
      }
      if (method === "POST") return [200, this.view(this.enlist(form))];
      throw new MaasError(405, "Method Not Allowed");
    }
    const machine = this.machines.get(id);
    if (!machine) throw new MaasError(404, "No Machine matches the given query.");
    this.tick(machine);
    const op = query.get("op") ?? form.get("op");
    if (method === "GET" && !op) return [200, this.view(machine)];
    if (method === "PUT") {
      this.power(machine, form);
      return [200, this.view(machine)];
    }
    if (method === "DELETE") {
      if (["Allocated", "Deploying", "Deployed"].includes(machine.status_name)) {
        throw new MaasError(409, `Cannot delete ${machine.hostname}: the machine is ${machine.status_name}; release it first.`);
      }
      this.machines.delete(id);
      return [204, ""];
    }
    if (method === "POST" && op === "commission") {
      if (!["New", "Ready", "Failed commissioning", "Failed testing", "Broken"].includes(machine.status_name)) {
        throw new MaasError(409, `Machine cannot be commissioned: ${machine.hostname} is in state ${machine.status_name}.`);
      }
      machine.status_name = "Commissioning";
      machine.status_message = null;
      if (!this.options.neverReady) {
        machine.until = Date.now() + this.options.commissionDelayMs;
        machine.next = this.options.failCommissioning ? "Failed commissioning" : "Ready";
      }
      return [200, this.view(machine)];
    }
    if (method === "POST" && op === "release") {
      if (!["Allocated", "Deploying", "Deployed", "Failed deployment"].includes(machine.status_name)) {
        throw new MaasError(409, `Machine cannot be released in its current state ('${machine.status_name}').`);
      }
      machine.status_name = "Releasing";
      machine.until = Date.now() + this.options.releaseDelayMs;
      machine.next = "Ready";
      return [200, this.view(machine)];
    }
    throw new MaasError(400, `Unrecognised signature: method=${method} op=${op ?? "None"}`);
  }

  private enlist(form: URLSearchParams): FakeMachine {
    const errors: Record<string, string[]> = {};
    const hostname = form.get("hostname") ?? "";
    const architecture = form.get("architecture") ?? "";
    const macs = form.getAll("mac_addresses");
    if (!HOSTNAME.test(hostname)) errors.hostname = [`Invalid hostname: ${JSON.stringify(hostname)}.`];
    else if ([...this.machines.values()].some((x) => x.hostname === hostname)) errors.hostname = ["Node with this Hostname already exists."];
    if (!ARCHITECTURES.has(architecture)) errors.architecture = [`Select a valid choice. ${architecture || "(empty)"} is not one of the available choices.`];
    if (!macs.length) errors.mac_addresses = ["This field is required."];
    else for (const mac of macs) if (!MAC.test(mac)) errors.mac_addresses = [`'${mac}' is not a valid MAC address.`];
    const power = this.powerErrors(form);
    if (power) errors.power_parameters = [power];
    if (Object.keys(errors).length) throw new MaasError(400, errors);
    const machine: FakeMachine = {
      system_id: randomBytes(3).toString("hex"),
      hostname,
      architecture,
      status_name: "New",
      status_message: null,
      power_type: "manual",
      power_parameters: {},
      mac_addresses: macs.map((x) => x.toLowerCase()),
    };
    this.power(machine, form);
    this.machines.set(machine.system_id, machine);
    return machine;
  }

  private powerErrors(form: URLSearchParams): string | undefined {
    const type = form.get("power_type") ?? "manual";
    if (!POWER_TYPES.has(type)) return `Unknown power_type ${type}.`;
    if (type !== "manual" && !form.get("power_parameters_power_address")) return `power_address is required for power_type ${type}.`;
    if (type === "virsh" && !form.get("power_parameters_power_id")) return "power_id is required for virsh.";
    return undefined;
  }

  private power(machine: FakeMachine, form: URLSearchParams): void {
    if (!form.has("power_type")) return;
    const err = this.powerErrors(form);
    if (err) throw new MaasError(400, { power_parameters: [err] });
    machine.power_type = form.get("power_type")!;
    machine.power_parameters = Object.fromEntries([...form.entries()].filter(([k]) => k.startsWith("power_parameters_")).map(([k, v]) => [k.slice("power_parameters_".length), v]));
  }
}

export async function startFakeMaas(options: FakeMaasOptions = {}): Promise<FakeMaas> {
  return new FakeMaas(options).start();
}
