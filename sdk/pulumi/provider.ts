/**
 * The dynamic provider objects. Pulumi serializes them BY VALUE into the state (closure
 * serialization) and later runs that text in its dynamic-provider host, where `delete` and `read`
 * run the code stored in state. So each object holds only plain data (the kind, the path of the
 * runtime module, the configuration) and its methods `require` the runtime at call time: no
 * engine, ledger handle or imported module is captured. Do not reference imports in this file's
 * function bodies; the closure serializer would try to copy them into the state.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import type { ProviderSettings } from "./runtime";

type Runtime = typeof import("./runtime");

/** A serializable provider for one resource kind. */
export interface OtterscaleProvider extends dynamic.ResourceProvider {
  readonly kind: ResourceKind;
  /** Absolute path of the compiled runtime module, as the program saw it. */
  readonly runtimePath: string;
  settings: ProviderSettings;
}

/**
 * Loads the runtime: the path recorded when the program ran (the very code it was built with),
 * else the installed package as resolved from the working directory (state moved to another
 * checkout or machine). `require` is never captured by Pulumi's serializer: it is the host's.
 */
function loadRuntime(runtimePath: string): Runtime {
  try {
    return require(runtimePath) as Runtime;
  } catch (e) {
    if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
    return (require("otterscale-iac/pulumi") as { providerRuntime: Runtime }).providerRuntime;
  }
}

/** The provider of `kind`. `runtimePath` is `require.resolve("./runtime")` of the caller. */
export function providerFor(kind: ResourceKind, runtimePath: string): OtterscaleProvider {
  return {
    kind,
    runtimePath,
    settings: {},
    async configure(req: dynamic.ConfigureRequest) {
      // The host passes the whole stack config, namespaces kept (pulumi >= 3.139).
      this.settings = {
        ledgerUrl: req.config.get("otterscale:ledgerUrl"),
        controllerUrl: req.config.get("otterscale:controllerUrl"),
        vclusterChartVersion: req.config.get("otterscale:vclusterChartVersion"),
      };
    },
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
      return loadRuntime(this.runtimePath).check(this.kind, olds, news, this.settings);
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      return loadRuntime(this.runtimePath).diff(this.kind, olds, news);
    },
    async create(inputs: Record<string, unknown>) {
      return loadRuntime(this.runtimePath).create(this.kind, inputs, this.settings);
    },
    async read(id: string, props?: Record<string, unknown>) {
      return loadRuntime(this.runtimePath).read(this.kind, id, props ?? {}, this.settings);
    },
    async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      return loadRuntime(this.runtimePath).update(this.kind, id, olds, news, this.settings);
    },
    async delete(id: string, props?: Record<string, unknown>) {
      return loadRuntime(this.runtimePath).remove(this.kind, id, this.settings, props ?? {});
    },
  };
}
