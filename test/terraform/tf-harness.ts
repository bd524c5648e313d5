/**
 * Runs the REAL terraform binary in a throwaway directory, the way a user would:
 * - its own CLI config (TF_CLI_CONFIG_FILE) with `dev_overrides` for otterscale/otterscale pointing
 *   at `<repo>/bin`, so no `terraform init` and no registry are needed;
 * - TF_IN_AUTOMATION=1, CHECKPOINT_DISABLE=1, and its own OTTERSCALE_HOME;
 * - with `engine` given, the provider runs in THIS process with that engine injected, and
 *   terraform attaches to it through TF_REATTACH_PROVIDERS (plaintext, like a debug session);
 *   without it, terraform starts `bin/terraform-provider-otterscale` itself (TLS, real engine).
 *   Pointing a test at the real engine is therefore: drop the `engine` option.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { EngineApi } from "../../provider/src/api";
import { startProvider, type RunningProvider } from "../../provider/src/terraform/plugin";
import { testTempDir } from "../support/temp";

export const TERRAFORM = process.env.TERRAFORM_BIN ?? "/usr/local/bin/terraform";
export const PROVIDER_SOURCE = "registry.terraform.io/otterscale/otterscale";

/** The repository root (holds package.json and bin/). */
export function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "otterscale-iac") return dir;
  }
  return process.env.OTTERSCALE_REPO ?? process.cwd();
}

/** The compiled provider entry next to this compiled test (dist/ or a private outDir). */
export const providerMain = (): string => path.resolve(__dirname, "..", "..", "provider", "src", "terraform", "main.js");

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TfSession {
  readonly dir: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  /** The in-process provider, when an engine was injected. */
  readonly provider?: RunningProvider;
  write(file: string, content: string): void;
  run(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Serve the provider in-process with this engine (reattach). Omit to run the real binary. */
  readonly engine?: EngineApi;
  readonly env?: NodeJS.ProcessEnv;
}

export const cliConfig = (binDir: string): string =>
  `provider_installation {\n  dev_overrides {\n    "otterscale/otterscale" = ${JSON.stringify(binDir)}\n  }\n  direct {}\n}\n`;

export async function tfSession(options: SessionOptions = {}): Promise<TfSession> {
  const root = testTempDir("tf-");
  const dir = path.join(root, "work");
  const home = path.join(root, "home");
  mkdirSync(dir);
  mkdirSync(home);
  const repo = repoRoot();
  writeFileSync(path.join(root, "cli.tfrc"), cliConfig(path.join(repo, "bin")));
  let provider: RunningProvider | undefined;
  const engine = options.engine;
  if (engine) provider = await startProvider({ openEngine: async () => engine });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: path.join(root, "cli.tfrc"),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    TF_INPUT: "0",
    OTTERSCALE_HOME: home,
    OTTERSCALE_PROVIDER_JS: providerMain(),
    NODE_PATH: path.join(repo, "node_modules"),
    ...(provider
      ? {
          TF_REATTACH_PROVIDERS: JSON.stringify({
            [PROVIDER_SOURCE]: { Protocol: "grpc", ProtocolVersion: 6, Pid: process.pid, Test: true, Addr: { Network: "tcp", String: `127.0.0.1:${provider.port}` } },
          }),
        }
      : {}),
    ...options.env,
  };
  delete env.TF_LOG;
  return {
    dir,
    home,
    env,
    ...(provider ? { provider } : {}),
    write: (file, content) => writeFileSync(path.join(dir, file), content),
    run: (args, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const child = spawn(TERRAFORM, [...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
        child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, stdout, stderr });
        });
      }),
    close: async () => {
      await provider?.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** `terraform { required_providers { otterscale = { source = "otterscale/otterscale" } } }` + body. */
export const withProvider = (body: string): string =>
  `terraform {\n  required_providers {\n    otterscale = { source = "otterscale/otterscale" }\n  }\n}\n\nprovider "otterscale" {}\n\n${body}`;
