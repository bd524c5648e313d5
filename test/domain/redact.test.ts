/**
 * Secrets in URLs are masked (issue 11, "Truthful errors"): a password in a malformed ledger URL,
 * and every query value (API keys) and the user info of a controller URL, wherever a URL is shown:
 * errors, the Terraform provider's log lines and the CLI's messages.
 */
import assert from "node:assert/strict";
import { redactControllerUrl, redactInText, redactLedgerUrl } from "../../provider/src/domain/redact";
import { redactUrl } from "../../provider/src/ledger/open";
import { openControllers } from "../../provider/src/controllers/registry";
import { parseMaasUrl } from "../../provider/src/controllers/maas";
import { messageOf } from "../../provider/src/cli/exit-codes";
import * as logModule from "../../provider/src/terraform/log";
import { ProviderServer } from "../../provider/src/terraform/provider-server";
import { providerSpec } from "../../provider/src/terraform/schema";
import { encodeValue } from "../../provider/src/terraform/codec/msgpack";

function assertHidden(shown: string, secrets: readonly string[], kept: readonly string[]): void {
  for (const s of secrets) assert.ok(!shown.includes(s), `${JSON.stringify(s)} shows in ${shown}`);
  for (const k of kept) assert.ok(shown.includes(k), `${JSON.stringify(k)} is missing from ${shown}`);
}

describe("redactLedgerUrl: the password never shows, even in a malformed URL", () => {
  // [url, secret fragments that must not show, fragments that must still show]
  const cases: [string, string[], string[]][] = [
    ["postgres://u:p@ss/w#rd@host/db", ["p@ss", "ss/w", "w#rd"], ["postgres://u:***@host/db"]],
    ["postgres://u:pa/ss@host:5432/db", ["pa/ss", "ss@"], ["postgres://u:***@host:5432/db"]],
    ["postgres://u:secret@", ["secret"], ["postgres://u:***@"]],
    ["postgres://u:my secret pw@host/db", ["my secret", "secret pw"], ["u:***@host/db"]],
    ["postgres://u:p?ss=x@host/db", ["p?ss", "ss=x"], ["u:***@host/db"]],
    ["postgres://u:p&ss=x@host/db", ["p&ss", "ss=x"], ["u:***@host/db"]],
    ["postgres://:onlypass@host/db", ["onlypass"], ["postgres://:***@host/db"]],
    ["postgres://u@host/db?sslmode=require&password=hunter2", ["hunter2"], ["u@host/db?sslmode=require&password=***"]],
    ["postgres://host/db?PASSWORD=a@b", ["a@b"], ["postgres://host/db?PASSWORD=***"]],
    ["postgres://u:one@host/db?password=two#three", ["one", "two", "three"], ["u:***@host/db?password=***"]],
    ["postgres://u:x@host/db?password=with space", ["with space"], ["password=***"]],
    ["postgresql://u:p:with:colons@host/db", ["p:with", "colons"], ["postgresql://u:***@host/db"]],
  ];
  for (const [url, secrets, kept] of cases) {
    it(url, () => assertHidden(redactLedgerUrl(url), secrets, kept));
  }

  it("a well-formed URL keeps everything but the password", () => {
    assert.equal(
      redactLedgerUrl("postgres://ops:s3cret@db.internal:6543/otterscale?statement_timeout=5000&sslmode=require"),
      "postgres://ops:***@db.internal:6543/otterscale?statement_timeout=5000&sslmode=require",
    );
  });

  it("SQLite paths are untouched, an @ in them included", () => {
    assert.equal(redactLedgerUrl("sqlite:///var/lib/otter@scale/ledger.db"), "sqlite:///var/lib/otter@scale/ledger.db");
  });

  it("ledger/open.ts redactUrl is the same rule", () => {
    assert.equal(redactUrl("postgres://u:p@ss/w#rd@host/db"), "postgres://u:***@host/db");
  });
});

describe("redactControllerUrl: user info and every query value are masked", () => {
  const cases: [string, string[], string[]][] = [
    ["maas://10.0.0.2:5240/MAAS?key=consumer:token:SECRET", ["consumer", "token", "SECRET"], ["maas://10.0.0.2:5240/MAAS?key=***"]],
    ["maas://h/MAAS?tls=1&key=a:b:SEC#RET", ["SEC", "RET"], ["maas://h/MAAS?tls=***&key=***"]],
    ["maas://KEY@h/MAAS", ["KEY"], ["maas://***@h/MAAS"]],
    ["maas://c:t:SECRET@h/MAAS?key=K2", ["SECRET", "t:", "K2"], ["maas://***@h/MAAS?key=***"]],
    ["kubernetes://?context=prod&kubeconfig=/etc/kube", ["prod", "/etc/kube"], ["kubernetes://?context=***&kubeconfig=***"]],
    ["bogus://u:pa/ss@h?api_key=SECRET", ["pa/ss", "SECRET"], ["bogus://***@h?api_key=***"]],
  ];
  for (const [url, secrets, kept] of cases) {
    it(url, () => assertHidden(redactControllerUrl(url), secrets, kept));
  }

  it("gitops directories are untouched, an @ in them included", () => {
    assert.equal(redactControllerUrl("gitops:///srv/otter@scale/manifests"), "gitops:///srv/otter@scale/manifests");
  });

  it("an unsupported controller_url is named in the error without its credentials", () => {
    assert.throws(
      () => openControllers("bogus://u:SEC/RET1@h?key=SECRET2"),
      (e: Error) => e.message.includes("bogus://***@h?key=***") && !/SEC|RET/.test(e.message),
    );
  });

  it("a malformed MAAS URL is named in the error without the user info", () => {
    assert.throws(
      () => parseMaasUrl("maas://consumer:token/SECRET@10.0.0.2/MAAS"),
      (e: Error) => e.message.includes("maas://***@10.0.0.2/MAAS") && !/SECRET|token\//.test(e.message),
    );
  });
});

describe("redactInText: URLs inside free text", () => {
  it("masks a quoted URL and keeps the rest of the message", () => {
    const shown = redactInText('controller_url "maas://h?key=a:b:SECRET" failed: ECONNREFUSED');
    assert.equal(shown, 'controller_url "maas://h?key=***" failed: ECONNREFUSED');
  });

  it("masks several URLs in one message", () => {
    assertHidden(redactInText("copy postgres://u:S1@a/db to postgres://v:S2@b/db (ok)"), ["S1", "S2"], ["@a/db to ", "@b/db (ok)"]);
  });

  it("a value that is a whole URL is redacted as one, spaces and all", () => {
    assertHidden(redactInText("postgres://u:my SECRET@h/db"), ["SECRET"], ["@h/db"]);
  });

  it("text without a URL is returned as is", () => {
    assert.equal(redactInText("plan: 3 to add, a=b"), "plan: 3 to add, a=b");
  });

  it("the CLI's message for an unexpected error masks URLs in it", () => {
    assertHidden(messageOf(new Error("connect postgres://u:SECRET@h/db?password=P2 failed")), ["SECRET", "P2"], ["connect postgres://", "failed"]);
  });
});

describe("terraform provider log lines never carry a controller URL's key", () => {
  type Write = typeof process.stderr.write;
  function captureStderr(run: () => void): string {
    const original: Write = process.stderr.write.bind(process.stderr);
    const lines: string[] = [];
    process.stderr.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as Write;
    try {
      run();
    } finally {
      process.stderr.write = original;
    }
    return lines.join("");
  }

  it("log() masks URLs in the message and in field values (the safety net)", () => {
    const out = captureStderr(() =>
      logModule.log("error", "rpc failed: maas://h?key=a:b:SECRET1 unreachable", {
        controller_url: "maas://10.0.0.2:5240/MAAS?key=consumer:token:SECRET2",
        nested: { urls: ["maas://KEY3SECRET@h"] },
      }),
    );
    assert.ok(out.includes('"@level":"error"'), `a line was written: ${out}`);
    assert.doesNotMatch(out, /SECRET/);
    const entry = JSON.parse(out) as Record<string, unknown>;
    assert.equal(entry.controller_url, "maas://10.0.0.2:5240/MAAS?key=***");
  });

  it("ConfigureProvider logs controller_url with its key masked", async () => {
    const calls: unknown[][] = [];
    const mutable = logModule as { log: typeof logModule.log };
    const original = mutable.log;
    mutable.log = (...args: Parameters<typeof logModule.log>) => void calls.push(args);
    try {
      const config = { ledger_url: null, controller_url: "maas://10.0.0.2:5240/MAAS?key=consumer:token:SECRET", review_checks: null };
      const spec = providerSpec();
      const full = Object.fromEntries(spec.attributes.map((a) => [a.name, (config as Record<string, unknown>)[a.name] ?? null]));
      await new ProviderServer(async () => assert.fail("the engine is not opened by ConfigureProvider")).ConfigureProvider({
        terraform_version: "1.11.4",
        config: { msgpack: encodeValue(full as never, spec.type) },
      });
    } finally {
      mutable.log = original;
    }
    const configured = calls.find((c) => c[1] === "configured");
    assert.ok(configured, `ConfigureProvider logged: ${JSON.stringify(calls)}`);
    assert.doesNotMatch(JSON.stringify(configured), /SECRET|consumer|token/);
    assert.match(JSON.stringify(configured), /maas:\/\/10\.0\.0\.2:5240\/MAAS\?key=\*\*\*/);
  });
});
