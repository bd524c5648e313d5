/**
 * Test support for the Pulumi front end: an in-process copy of the dynamic-provider host's
 * deserialization (for `setMocks`), the serialized providers a real program produces, and a gRPC
 * client for the real host process (`@pulumi/pulumi/cmd/dynamic-provider`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { initLedger } from "../../provider/src/ledger/open";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { testTempDir } from "../support/temp";

/* eslint-disable @typescript-eslint/no-require-imports */
const requireFromString = require("require-from-string") as (code: string) => { handler(): pulumi.dynamic.ResourceProvider };
const { Config: DynamicConfig } = require("@pulumi/pulumi/cmd/dynamic-provider/config") as {
  Config: new (raw: Record<string, string>, project: string) => pulumi.dynamic.Config;
};
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");

export type Props = Record<string, unknown>;

/** Stack config that points the provider at `home`'s ledger and manifests. */
export function stackConfig(home: string): Record<string, string> {
  return {
    "otterscale:ledgerUrl": `sqlite://${path.join(home, "ledger.db")}`,
    "otterscale:controllerUrl": `gitops://${path.join(home, "manifests")}`,
  };
}

/**
 * A new stack's ledger: its stack config names the ledger explicitly (not the embedded default
 * location), and a provider refuses a configured ledger that does not exist, so a test starting
 * a new estate creates it first, as `otterscale ledger init` would.
 */
export async function initStackLedger(home: string): Promise<void> {
  await initLedger(stackConfig(home)["otterscale:ledgerUrl"]);
}

/** A fresh directory, removed after the test run (see test/support/temp.ts). */
export function tempDir(name: string): string {
  return testTempDir(name);
}

/**
 * What the host's `getProvider` does, in this process: `requireFromString(text).handler()`, one
 * provider per distinct text, `configure` called once with the stack config.
 */
export class InProcessHost {
  private readonly providers = new Map<string, Promise<pulumi.dynamic.ResourceProvider>>();
  constructor(private readonly rawConfig: Record<string, string>, private readonly project = "otterscale-estate") {}

  provider(props: Props): Promise<pulumi.dynamic.ResourceProvider> {
    const text = props.__provider;
    if (typeof text !== "string") throw new Error("inputs carry no serialized __provider");
    let p = this.providers.get(text);
    if (!p) {
      p = (async () => {
        const provider = requireFromString(text).handler();
        await provider.configure?.({ config: new DynamicConfig(this.rawConfig, this.project) });
        return provider;
      })();
      this.providers.set(text, p);
    }
    return p;
  }
}

export interface MockRecord {
  readonly type: string;
  readonly name: string;
  readonly inputs: Props;
  readonly outs?: Props;
  readonly failures?: readonly pulumi.dynamic.CheckFailure[];
  readonly error?: string;
}

/**
 * `setMocks` whose `newResource` does what the Pulumi engine does with a dynamic resource:
 * Check (and, unless previewing, Create) through the deserialized provider. A check failure or
 * create error is recorded and the resource resolves with empty state, so a test can assert it.
 */
export async function mockEngine(
  host: InProcessHost,
  opts: { preview: boolean; stack?: string; others?: (args: pulumi.runtime.MockResourceArgs) => Promise<{ id: string | undefined; state: Props }> },
): Promise<MockRecord[]> {
  const records: MockRecord[] = [];
  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs) {
        // Resources of other providers (pulumi-kubernetes) go to the test's double of that provider.
        if (opts.others && !args.type.startsWith("pulumi-nodejs:dynamic/")) return opts.others(args);
        const inputs = args.inputs as Props;
        try {
          const provider = await host.provider(inputs);
          const checked = (await provider.check?.({}, inputs)) ?? { inputs };
          if (checked.failures?.length) {
            records.push({ type: args.type, name: args.name, inputs, failures: checked.failures });
            return { id: undefined, state: {} };
          }
          if (opts.preview) {
            records.push({ type: args.type, name: args.name, inputs: checked.inputs });
            return { id: undefined, state: checked.inputs };
          }
          const created = await provider.create({ ...checked.inputs, __provider: inputs.__provider });
          records.push({ type: args.type, name: args.name, inputs: checked.inputs, outs: created.outs });
          return { id: created.id, state: created.outs };
        } catch (e) {
          records.push({ type: args.type, name: args.name, inputs, error: e instanceof Error ? e.message : String(e) });
          return { id: undefined, state: {} };
        }
      },
      call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "otterscale-estate",
    opts.stack ?? "test",
    opts.preview,
  );
  return records;
}

/** Resolves when the output resolves (under mocks, when the resource was registered). */
export function settle<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

// ------------------------------------------------------------------ the real host over gRPC

/** The serialized `__provider` text of each kind, exactly as a program built with the SDK sends it. */
export async function serializedProviders(): Promise<Record<ResourceKind, string>> {
  const sdk = await import("../../sdk/pulumi");
  const texts: Partial<Record<string, string>> = {};
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        texts[args.type] = (args.inputs as Props).__provider as string;
        return { id: `${args.name}-id`, state: {} };
      },
      call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "otterscale-estate",
    "serialize",
    true,
  );
  const made = [
    new sdk.Server("s", { cpuCores: 1, memoryGib: 1, storageGib: 1 }),
    new sdk.BaremetalGroup("g", {}),
    new sdk.TenantQuota("q", { tenant: "t", group: "g" }),
    new sdk.VirtualMachine("v", { tenant: "t", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 }),
    new sdk.VCluster("c", { tenant: "t", group: "g" }),
    new sdk.BlockPool("p", { tenant: "t", group: "g", sizeGib: 1 }),
  ];
  await Promise.all(made.map((r) => settle(r.urn)));
  const kinds: ResourceKind[] = ["server", "baremetal_group", "tenant_quota", "virtual_machine", "vcluster", "block_pool"];
  return Object.fromEntries(
    kinds.map((k) => {
      const t = texts[sdk.tokenOf(k)];
      if (!t) throw new Error(`no serialized provider captured for ${sdk.tokenOf(k)}`);
      return [k, t];
    }),
  ) as Record<ResourceKind, string>;
}

export interface GrpcFailure {
  readonly message: string;
}

/** A running `@pulumi/pulumi/cmd/dynamic-provider` process and a typed client for it. */
export class HostProcess {
  private constructor(
    readonly child: ChildProcess,
    private readonly client: grpc.Client & Record<string, Function>,
    readonly stderr: () => string,
  ) {}

  /**
   * Spawns the host with this Node (>= 22) and waits for the port it prints on stdout. With
   * `command`, runs that instead (a launcher that starts the host and passes its stdout on).
   */
  static async start(opts: { cwd: string; env?: NodeJS.ProcessEnv; command?: readonly [string, ...string[]] }): Promise<HostProcess> {
    const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
    // The host wants the engine's address as its first argument; it only uses it for logging.
    const [cmd, ...args] = opts.command ?? [process.execPath, script, "127.0.0.1:1"];
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const onData = (b: Buffer) => {
        out += b.toString();
        const line = out.split("\n")[0];
        if (out.includes("\n")) {
          child.stdout!.off("data", onData);
          resolve(Number(line.trim()));
        }
      };
      child.stdout!.on("data", onData);
      child.on("exit", (code) => reject(new Error(`dynamic-provider host exited with ${code}: ${err}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new HostProcess(child, client, () => err);
  }

  private call<T>(method: string, req: unknown, map: (resp: any) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method](req, (err: grpc.ServiceError | null, resp: unknown) => (err ? reject(Object.assign(new Error(err.details), { code: err.code })) : resolve(map(resp))));
    });
  }

  configure(config: Record<string, string>): Promise<void> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(structproto.Struct.fromJavaScript(config));
    return this.call("configure", req, () => undefined);
  }

  check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    return this.call("check", req, (r) => ({
      inputs: r.getInputs().toJavaScript(),
      failures: r.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    }));
  }

  diff(id: string, olds: Props, news: Props): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new provproto.DiffRequest();
    req.setId(id);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    const C = provproto.DiffResponse.DiffChanges;
    return this.call("diff", req, (r) => ({
      changes: r.getChanges() === C.DIFF_SOME ? "some" : r.getChanges() === C.DIFF_NONE ? "none" : "unknown",
      replaces: r.getReplacesList(),
      deleteBeforeReplace: r.getDeletebeforereplace(),
    }));
  }

  /** Create; `timeoutSec` is what the engine sends for `customTimeouts.create`. */
  create(props: Props, timeoutSec?: number): Promise<{ id: string; outs: Props }> {
    const req = new provproto.CreateRequest();
    req.setProperties(structproto.Struct.fromJavaScript(props));
    if (timeoutSec) req.setTimeout(timeoutSec);
    return this.call("create", req, (r) => ({ id: r.getId(), outs: r.getProperties().toJavaScript() }));
  }

  read(id: string, props: Props): Promise<{ id: string; outs: Props }> {
    const req = new provproto.ReadRequest();
    req.setId(id);
    req.setProperties(structproto.Struct.fromJavaScript(props));
    return this.call("read", req, (r) => ({ id: r.getId(), outs: r.getProperties()?.toJavaScript() ?? {} }));
  }

  update(id: string, olds: Props, news: Props, timeoutSec?: number): Promise<{ outs: Props }> {
    const req = new provproto.UpdateRequest();
    req.setId(id);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    if (timeoutSec) req.setTimeout(timeoutSec);
    return this.call("update", req, (r) => ({ outs: r.getProperties().toJavaScript() }));
  }

  delete(id: string, props: Props, timeoutSec?: number): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setId(id);
    req.setProperties(structproto.Struct.fromJavaScript(props));
    if (timeoutSec) req.setTimeout(timeoutSec);
    return this.call("delete", req, () => undefined);
  }

  /** The Cancel RPC the Pulumi engine sends when an update is cancelled (Ctrl-C). */
  cancel(): Promise<void> {
    return this.call("cancel", new emptyproto.Empty(), () => undefined);
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return; // exited, or killed
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

/** The message of a rejected promise (fails when it resolves). */
export async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("expected the call to fail, but it succeeded");
}
