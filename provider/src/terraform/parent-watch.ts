/**
 * Notices that Terraform, the process that started this plugin, is gone.
 *
 * go-plugin offers a plugin no channel for that: a Terraform killed with SIGKILL (or crashing)
 * sends no GRPCController/Shutdown, and stdin is no pipe from Terraform but Terraform's own stdin
 * (go-plugin client.go: `cmd.Stdin = os.Stdin`; /dev/null in CI, the terminal otherwise), so its
 * end says nothing. What always happens is that the kernel re-parents us, to PID 1 or to the
 * nearest subreaper: the parent PID changes. `process.ppid` is read afresh on every access
 * (checked on Node 20 and 24), so polling it is enough.
 */

export interface ParentWatchOptions {
  /** How often to look (ms). A few hundred ms: cheap, and far below how long an orphan may live. */
  readonly intervalMs?: number;
  /** Reads the parent PID (tests substitute one). */
  readonly ppid?: () => number;
}

/**
 * Calls `onGone(was, now)` once, when the parent PID differs from the one at the time of the call.
 * The timer is unref'd: it never keeps the process alive by itself. Returns a function that stops
 * watching.
 *
 * Example: Terraform (PID 4242) starts us; it is SIGKILLed; within `intervalMs` the parent PID
 * reads 1 and `onGone(4242, 1)` runs.
 */
export function watchParent(onGone: (was: number, now: number) => void, options: ParentWatchOptions = {}): () => void {
  const read = options.ppid ?? (() => process.ppid);
  const parent = read();
  const timer = setInterval(() => {
    const now = read();
    if (now === parent) return;
    clearInterval(timer);
    onGone(parent, now);
  }, options.intervalMs ?? 300);
  timer.unref();
  return () => clearInterval(timer);
}
