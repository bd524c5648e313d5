/**
 * `kubernetes://` URL -> a loaded KubeConfig. Resolution order, as kubectl users expect:
 * `?kubeconfig=/abs/path`, then `KUBECONFIG`, then `~/.kube/config`, then the in-cluster service
 * account. Unlike the client library's default, a machine with none of these is a configuration
 * error, never a silent `http://localhost:8080`.
 */
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { OtterscaleError } from "../../domain/errors";
import { redactControllerUrl } from "../../domain/redact";

export interface KubernetesOptions {
  /** Kubeconfig file; undefined = the usual places. */
  readonly kubeconfig?: string;
  /** Context name; undefined = the file's current-context. */
  readonly context?: string;
}

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
const KNOWN = new Set(["context", "kubeconfig"]);

function configError(message: string): OtterscaleError {
  return new OtterscaleError("config", message, [{ path: "controller_url", message }]);
}

/**
 * Parses `kubernetes://[?context=NAME][&kubeconfig=/abs/path]`.
 *
 * Example: `kubernetes://?context=prod` -> `{context: "prod"}`; `kubernetes://host` is an error
 * (the cluster comes from the kubeconfig, not from the URL).
 */
export function parseKubernetesUrl(url: string): KubernetesOptions {
  const rest = url.replace(/^kubernetes:\/\//i, "");
  const q = rest.indexOf("?");
  const authority = q < 0 ? rest : rest.slice(0, q);
  if (authority !== "" && authority !== "/") {
    throw configError(
      `controller_url ${redactControllerUrl(url)}: the cluster comes from the kubeconfig; use kubernetes:// or kubernetes://?context=NAME&kubeconfig=/abs/path`,
    );
  }
  const params = new URLSearchParams(q < 0 ? "" : rest.slice(q + 1));
  for (const k of params.keys()) {
    if (!KNOWN.has(k)) throw configError(`controller_url kubernetes://: unknown option "${k}" (known: context, kubeconfig)`);
  }
  const kubeconfig = params.get("kubeconfig") ?? undefined;
  if (kubeconfig !== undefined && !path.isAbsolute(kubeconfig)) {
    throw configError(`controller_url kubernetes://?kubeconfig=${kubeconfig}: the kubeconfig path must be absolute`);
  }
  const context = params.get("context") ?? undefined;
  return { ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) };
}

/** Where the kubeconfig comes from, or undefined when nothing is configured (pure, given env/fs). */
export function kubeconfigSource(
  opts: KubernetesOptions,
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = existsSync,
  home: string = os.homedir(),
): { readonly kind: "file"; readonly file: string } | { readonly kind: "env" | "in-cluster" } | undefined {
  if (opts.kubeconfig) return { kind: "file", file: opts.kubeconfig };
  if (env.KUBECONFIG) return { kind: "env" };
  const file = path.join(home, ".kube", "config");
  if (exists(file)) return { kind: "file", file };
  if (env.KUBERNETES_SERVICE_HOST && exists(SERVICE_ACCOUNT_TOKEN)) return { kind: "in-cluster" };
  return undefined;
}

/** The client library is large (~0.5 s to load): only the kubernetes adapter pays for it. */
export function clientLibrary(): typeof import("@kubernetes/client-node") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
}

/** Loads the kubeconfig the options point at and selects the context. Throws `config` errors. */
export function loadKubeConfig(opts: KubernetesOptions): KubeConfig {
  const source = kubeconfigSource(opts);
  if (!source) {
    throw configError(
      "kubernetes:// found no kubeconfig: set KUBECONFIG, create ~/.kube/config, run inside a cluster, or use kubernetes://?kubeconfig=/abs/path",
    );
  }
  const k8s = clientLibrary();
  const kc = new k8s.KubeConfig();
  const where = source.kind === "file" ? source.file : source.kind === "env" ? "$KUBECONFIG" : "the in-cluster service account";
  try {
    if (source.kind === "file") kc.loadFromFile(source.file);
    else if (source.kind === "env") kc.loadFromDefault();
    else kc.loadFromCluster();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError(`kubernetes://: cannot load the kubeconfig from ${where} (${code ?? (e as Error).name}); check the file exists and is valid YAML`);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name).join(", ") || "none";
      throw configError(`kubernetes://?context=${opts.context}: no such context in ${where} (contexts: ${known})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    throw configError(`kubernetes://: the kubeconfig from ${where} has no current context with a cluster; pass ?context=NAME`);
  }
  return kc;
}
