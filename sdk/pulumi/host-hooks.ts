/**
 * What the dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) receives but does not pass
 * on to a dynamic provider, read where the host has it.
 *
 *  - Timeouts. The engine sends `customTimeouts` as the `timeout` (seconds) of CreateRequest,
 *    UpdateRequest and DeleteRequest, but the host calls `provider.create(props)` with the
 *    properties only. It gets them with `req.getProperties().toJavaScript()` (Update:
 *    `getNews()`), so those getters are wrapped to mark the object they produce with the request's
 *    timeout (a non-enumerable symbol: it never reaches the engine, the state or a diff).
 *  - Cancel. The host answers the Cancel RPC and does nothing else. Its handler is looked up per
 *    call (grpc-js `Server#_retrieveHandler`), so the lookup is wrapped to run `onCancel` first.
 *
 * Both take effect for the calls after this code first loads in the host, which happens on its
 * first Check (a `pulumi up` checks every resource before creating or updating it). The first call
 * of a host that starts with a Delete (`pulumi destroy`) runs without its custom timeout.
 * Everything is looked up from the host's own main module, so these are the very copies it uses;
 * if a Pulumi release moves them, nothing is wrapped and calls run without timeouts, as before.
 */

type Props = Record<string, unknown>;

const TIMEOUT = Symbol.for("otterscale-iac.pulumi.requestTimeoutMs");
const ATTACHED = Symbol.for("otterscale-iac.pulumi.hostHooks");
const CANCEL_PATH = "/pulumirpc.ResourceProvider/Cancel";

/** True in Pulumi's dynamic-provider host process (not in a program, nor under mocks). */
export function inDynamicProviderHost(main: NodeJS.Module | undefined = require.main): boolean {
  return /[\\/]cmd[\\/]dynamic-provider[\\/]index\.js$/.test(main?.filename ?? "");
}

/** The timeout (ms) of the request that carried `props`, when the engine sent one. */
export function requestTimeoutMs(props: object | undefined): number | undefined {
  const ms = props ? (props as Record<symbol, unknown>)[TIMEOUT] : undefined;
  return typeof ms === "number" && ms > 0 ? ms : undefined;
}

interface Struct {
  toJavaScript(): Props;
}
interface TimedRequest {
  getTimeout(): number;
}
type Getter = (this: TimedRequest) => Struct | undefined;

/** `struct`, whose `toJavaScript()` result carries `seconds` as its request timeout. */
function timed(struct: Struct | undefined, seconds: number): Struct | undefined {
  if (!struct || !(seconds > 0)) return struct;
  const toJavaScript = () => Object.defineProperty(struct.toJavaScript(), TIMEOUT, { value: Math.round(seconds * 1000) });
  return Object.create(struct, { toJavaScript: { value: toJavaScript } }) as Struct;
}

function wrapGetter(proto: Record<string, unknown> | undefined, name: string): void {
  const original = proto?.[name] as Getter | undefined;
  if (typeof original !== "function") return;
  proto![name] = function (this: TimedRequest) {
    return timed(original.call(this), this.getTimeout());
  };
}

interface Handler {
  func: (...args: unknown[]) => unknown;
}

function wrapCancel(server: { prototype: Record<string, unknown> } | undefined, onCancel: () => void): void {
  const retrieve = server?.prototype._retrieveHandler as ((path: string) => Handler | null) | undefined;
  if (typeof retrieve !== "function") return;
  server!.prototype._retrieveHandler = function (this: unknown, path: string) {
    const handler = retrieve.call(this, path);
    if (!handler || path !== CANCEL_PATH) return handler;
    return {
      ...handler,
      func: (...args: unknown[]) => {
        onCancel();
        return handler.func(...args);
      },
    };
  };
}

/**
 * Wraps the host's request getters and Cancel lookup, once per process (however many copies of
 * this module load). Does nothing outside the host.
 */
export function attachToHost(onCancel: () => void, main: NodeJS.Module | undefined = require.main): boolean {
  const g = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (g[ATTACHED] || !main || !inDynamicProviderHost(main)) return false;
  g[ATTACHED] = true;
  const load = (id: string): Record<string, { prototype: Record<string, unknown> } | undefined> | undefined => {
    try {
      return main.require(id);
    } catch {
      return undefined;
    }
  };
  const proto = load("../../proto/provider_pb");
  wrapGetter(proto?.CreateRequest?.prototype, "getProperties");
  wrapGetter(proto?.UpdateRequest?.prototype, "getNews");
  wrapGetter(proto?.DeleteRequest?.prototype, "getProperties");
  wrapCancel(load("@grpc/grpc-js")?.Server, onCancel);
  return true;
}
