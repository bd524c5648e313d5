/**
 * The kubernetes adapter (`kubernetes://`): server-side apply of the rendered manifests to a
 * cluster, readiness waits, read-back for refresh. See controller.ts.
 */
import { redactControllerUrl } from "../../domain/redact";
import type { Backoff } from "../retry";
import { KubeClient } from "./client";
import { loadKubeConfig, parseKubernetesUrl } from "./config";
import { KubernetesControllers } from "./controller";

export { KubeClient, FIELD_MANAGER } from "./client";
export { KubernetesControllers, KubernetesKindController } from "./controller";
export { kubeconfigSource, loadKubeConfig, parseKubernetesUrl, type KubernetesOptions } from "./config";
export { isTransient, translate } from "./errors";
export { readinessOf, statusOf } from "./readiness";
export { refOf } from "./objects";

/**
 * Opens `kubernetes://[?context=NAME][&kubeconfig=/abs/path]`. Throws `config` errors for a bad
 * URL or kubeconfig; contacts the cluster only on the first call.
 */
export function openKubernetes(url: string, retry?: Backoff): KubernetesControllers {
  const kc = loadKubeConfig(parseKubernetesUrl(url));
  return new KubernetesControllers(redactControllerUrl(url), new KubeClient(kc, retry));
}
