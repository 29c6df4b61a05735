// The benchmark's downstream for the relay's spooled mode: answers every POST 200 and remembers the
// ce-id header of each (checked against the body's "id"). GET /count answers
// {"requests","distinct","bad"}: requests received, distinct ce-ids, and requests without a ce-id or
// whose body is not the CloudEvent of that id.
//
//   node scripts/bench/downstream.ts     prints {"port":N} once listening
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { IdSet } from "./id-set.ts";

let requests = 0;
let bad = 0;
const ids = new IdSet();

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/count") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ requests, distinct: ids.size, bad }));
    return;
  }
  requests++;
  const id = req.headers["ce-id"];
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (body += chunk));
  req.on("end", () => {
    let bodyId: unknown;
    try {
      bodyId = (JSON.parse(body) as { id?: unknown }).id;
    } catch {
      bodyId = undefined;
    }
    if (typeof id !== "string" || bodyId !== id || !ids.add(id)) bad++;
    res.writeHead(200);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
