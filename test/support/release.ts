/**
 * The release (scripts/release.js) of this test run, built once from the compiled tree the tests
 * live in and shared by every test that needs it (the self-contained executable takes ~15 s to
 * make). Only this machine's platform: other platforms' Node binaries come from the registry.
 * It lives in a test temp directory, removed after the run.
 */
import * as path from "node:path";
import { testTempDir } from "./temp";

export interface Release {
  readonly version: string;
  readonly dir: string;
  readonly zips: Record<string, string>;
  readonly sums: string;
  readonly manifest: string;
  /** Packed filesystem mirror: <mirror>/registry.terraform.io/otterscale/otterscale/*.zip */
  readonly mirror: string;
  /** This machine's self-contained executable. */
  readonly exe: string;
}

interface ReleaseScript {
  release(opts: { out: string; platforms: string[]; required: boolean; dist: string; seaOut: string; log(m: string): void }): Release;
  hostPlatform(): string;
  packedMirror(dir: string, zips: string[]): string;
}

export const repoRoot = (): string => path.resolve(__dirname, "..", "..", "..");
const distRoot = (): string => path.resolve(__dirname, "..", "..");
export const releaseScript = (): ReleaseScript => require(path.join(repoRoot(), "scripts", "release.js")) as ReleaseScript;

let built: Release | undefined;

/** Builds the release on first call (synchronously: esbuild, node, postject) and returns it. */
export function testRelease(): Release {
  if (built) return built;
  const root = testTempDir("release-");
  const script = releaseScript();
  built = script.release({
    out: path.join(root, "release"),
    platforms: [script.hostPlatform()],
    required: true,
    dist: distRoot(),
    seaOut: path.join(root, "sea", "terraform-provider-otterscale"),
    log: () => undefined,
  });
  return built;
}

/** The environment without what an enclosing `npm test` exports (npm_config_*, npm_package_* ...), for a child npm of its own. */
export const withoutNpmVars = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_/i.test(k)));
