// Reads the relay's stdout (a pipe) in its own process, as a log shipper would, and counts the
// event lines. At end of input prints {"lines","distinct","bad"}: lines read, distinct CloudEvent ids,
// and lines that are not a REFER status or JSON call.* CloudEvent (the mixed row), or a last line
// without its newline.
//
//   telnyx-relay ... | node scripts/bench/count-lines.ts
//
// Cheap per line, because it shares a CPU with the load generator (a slow reader would also block
// the relay, whose stdout is a pipe): the id is cut out of each line, and every 64th line is fully
// parsed and checked.
import process from "node:process";
import { IdSet } from "./id-set.ts";

const TYPE = "com.telnyx.texml.refer.status";
const JSON_CALL_TYPE = "com.telnyx.call.";
const ID = '"id":"';
let lines = 0;
let bad = 0;
let rest = "";
const ids = new IdSet();

function line(text: string): void {
  lines++;
  const at = text.indexOf(ID);
  if (at === -1 || !ids.add(text.slice(at + ID.length, at + ID.length + 32))) {
    bad++;
    return;
  }
  if ((lines & 63) === 0) {
    try {
      const event = JSON.parse(text) as { id?: unknown; type?: unknown; specversion?: unknown };
      const typed = event.type === TYPE || (typeof event.type === "string" && event.type.startsWith(JSON_CALL_TYPE));
      if (typeof event.id !== "string" || !typed || event.specversion !== "1.0") bad++;
    } catch {
      bad++;
    }
  }
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  const text = rest + chunk;
  let start = 0;
  for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
    line(text.slice(start, end));
    start = end + 1;
  }
  rest = text.slice(start);
});
process.stdin.on("end", () => {
  if (rest !== "") {
    lines++;
    bad++;
  }
  process.stdout.write(`${JSON.stringify({ lines, distinct: ids.size, bad })}\n`);
});
