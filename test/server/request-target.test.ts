import assert from "node:assert/strict";
import { test } from "node:test";
import { pathOf } from "../../src/server/request-target.ts";

test("pathOf() gives the path of every request-target form, without the query", () => {
  const cases: Array<[string, string]> = [
    ["/webhooks/telnyx", "/webhooks/telnyx"],
    ["/webhooks/telnyx?source=telnyx", "/webhooks/telnyx"],
    ["/", "/"],
    ["http://relay.example/webhooks/telnyx", "/webhooks/telnyx"],
    ["https://relay.example:8443/webhooks/telnyx?x=http://y/z", "/webhooks/telnyx"],
    ["HTTP://Relay.Example/healthz", "/healthz"],
    ["http://relay.example", "/"],
    ["http://relay.example?x=1", "/"],
    ["http://user@relay.example:80/a/b", "/a/b"],
    // Not the absolute form of an http(s) URI: compared as received, so nothing matches it.
    ["relay.example:443", "relay.example:443"],
    ["*", "*"],
    ["ftp://relay.example/webhooks/telnyx", "ftp://relay.example/webhooks/telnyx"],
    ["/http://relay.example/webhooks/telnyx", "/http://relay.example/webhooks/telnyx"],
  ];
  for (const [target, path] of cases) assert.equal(pathOf(target), path, target);
});
