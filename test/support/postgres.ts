/**
 * A real PostgreSQL server for tests and benchmarks: Debian's binaries (newest
 * /usr/lib/postgresql/<version>/bin), run as the `postgres` OS user when we are root, in a temp
 * directory, listening on a free 127.0.0.1 port with trust auth (loopback only), fsync off, and
 * TLS on (a throwaway CA) so sslmode can be tested. Started once per process on first use and
 * stopped after the run, passing or failing: a mocha root hook; a process exit handler (also
 * runs after an uncaught exception); SIGINT/SIGTERM handlers; and, for a test process killed
 * outright (SIGKILL, an OOM kill), a detached watchdog that stops the server once this process is
 * gone. Stopping removes the temp directory. If it cannot start, the caller gets an error with
 * the server log (and nothing is left behind): tests fail, never skip.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { openLedger } from "../../provider/src/ledger/open";

export interface PgServer {
  readonly port: number;
  readonly dir: string;
  /** CA certificate the server's TLS certificate chains to (CN/SAN localhost, 127.0.0.1); undefined when openssl was missing (TLS off). */
  readonly caFile: string | undefined;
  /** `postgres://postgres@127.0.0.1:port/<db>` */
  url(db: string): string;
  /**
   * A fresh database holding a new, empty ledger (schema and id), as `otterscale ledger init`
   * makes it; with `{ ledger: false }` a bare database. Returns its URL.
   */
  createDatabase(prefix?: string, opts?: { ledger?: boolean }): Promise<string>;
  /** `pg_ctl restart -m fast` (asynchronous: work in this process keeps running meanwhile). */
  restart(): Promise<void>;
  stop(): void;
}

/** Newest `/usr/lib/postgresql/<version>/bin` that has initdb, or PG_BIN. */
export function findPgBin(root = "/usr/lib/postgresql"): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  if (!versions.length) {
    throw new Error(`PostgreSQL server binaries not found under ${root}/*/bin (install Debian's postgresql package, as .ci/run does)`);
  }
  return path.join(root, versions[0], "bin");
}

const isRoot = () => process.getuid?.() === 0;

/** argv to run `cmd` as the postgres OS user (initdb refuses to run as root). */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[], what: string): string {
  const [c, a] = asPostgres(cmd, args);
  const r = spawnSync(c, a, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway CA and a server certificate for localhost / 127.0.0.1 (openssl CLI). */
function makeTls(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ssl("req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=otterscale-test-ca");
  ssl("req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=localhost");
  fs.writeFileSync(f("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("san.ext"));
  return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

/**
 * Stops the server in `data` and removes `dir` once process `parent` is gone: a detached
 * process of its own, so it outlives a test process killed with SIGKILL. Polls twice a second.
 */
const WATCHDOG = `
const [parent, dir, cmd, ...args] = process.argv.slice(1);
const alive = () => { try { process.kill(Number(parent), 0); return true; } catch (e) { return e.code === "EPERM"; } };
const timer = setInterval(() => {
  if (alive()) return;
  clearInterval(timer);
  require("node:child_process").spawnSync(cmd, args, { stdio: "ignore", timeout: 60000 });
  require("node:fs").rmSync(dir, { recursive: true, force: true });
}, 500);
`;

/** Starts a new server (initdb + pg_ctl start). Prefer `sharedPostgres()`. */
export async function startPostgres(): Promise<PgServer> {
  const bin = findPgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "otterscale-pg-"));
  try {
    return await startIn(bin, dir);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(bin: string, dir: string): Promise<PgServer> {
  const data = path.join(dir, "data");
  const tlsDir = path.join(dir, "tls");
  fs.mkdirSync(tlsDir);
  let tls: ReturnType<typeof makeTls> | undefined;
  try {
    tls = makeTls(tlsDir);
  } catch {
    tls = undefined; // no openssl: the server runs without TLS and the TLS tests say so
  }
  if (isRoot()) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    for (const p of [dir, tlsDir, ...(tls ? [tls.cert, tls.key] : [])]) fs.chownSync(p, uid, gid);
  }
  if (tls) fs.chmodSync(tls.key, 0o600);
  run(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], "initdb");
  const log = path.join(dir, "server.log");
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !port; attempt++) {
    const candidate = await freePort();
    fs.writeFileSync(
      path.join(data, "postgresql.auto.conf"),
      [
        `port = ${candidate}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        "max_connections = 300",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        ...(tls ? ["ssl = on", `ssl_cert_file = '${tls.cert}'`, `ssl_key_file = '${tls.key}'`] : []),
        "",
      ].join("\n"),
    );
    try {
      run(path.join(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-t", "60", "start"], "pg_ctl start");
      port = candidate;
    } catch (e) {
      lastError = e;
    }
  }
  if (!port) {
    const tail = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-20).join("\n") : "(no log)";
    throw new Error(`PostgreSQL could not start: ${(lastError as Error).message}\n${tail}`);
  }

  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  let admin: Client | undefined;
  let counter = 0;
  let stopped = false;
  const stopArgv = asPostgres(path.join(bin, "pg_ctl"), ["-D", data, "-w", "-t", "30", "-m", "immediate", "stop"]);
  const watchdog = spawn(process.execPath, ["-e", WATCHDOG, String(process.pid), dir, stopArgv[0], ...stopArgv[1]], { detached: true, stdio: "ignore" });
  watchdog.unref();
  const onExit = () => server.stop();
  // Stop, then die of the same signal as if we had not been listening.
  const onSignal = (signal: NodeJS.Signals) => {
    server.stop();
    process.kill(process.pid, signal);
  };
  const server: PgServer = {
    port,
    dir,
    caFile: tls?.ca,
    url,
    async createDatabase(prefix = "t", opts = {}) {
      if (!admin) {
        admin = new Client({ connectionString: url("postgres") });
        admin.on("error", () => (admin = undefined));
        await admin.connect();
      }
      const name = `${prefix}_${process.pid}_${++counter}`;
      await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
      if (opts.ledger !== false) await (await openLedger(url(name), { create: true })).close();
      return url(name);
    },
    restart() {
      admin?.end().catch(() => undefined);
      admin = undefined;
      return new Promise((resolve, reject) => {
        const [c, a] = asPostgres(path.join(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-t", "60", "-m", "fast", "restart"]);
        const child = spawn(c, a, { stdio: "ignore" });
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl restart exited ${code}`))));
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      admin?.end().catch(() => undefined);
      spawnSync(stopArgv[0], stopArgv[1], { stdio: "ignore", timeout: 60_000 });
      fs.rmSync(dir, { recursive: true, force: true });
      try {
        if (watchdog.pid) process.kill(watchdog.pid);
      } catch {
        // already gone
      }
    },
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return server;
}

let shared: Promise<PgServer> | undefined;

/** The server of this test run (started on first call). */
export function sharedPostgres(): Promise<PgServer> {
  shared ??= startPostgres();
  return shared;
}

/** Stops the shared server if it was started. */
export async function stopSharedPostgres(): Promise<void> {
  if (!shared) return;
  const s = shared;
  shared = undefined;
  (await s.catch(() => undefined))?.stop();
}

// Under mocha (loaded with the test files), a root-level hook stops the server after the run.
if (typeof after === "function") after(stopSharedPostgres);
