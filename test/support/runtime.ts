// Which runtime runs the tests: the suite runs under Node (`npm test`) and Deno (`deno task test`).
import process from "node:process";

/** True under Deno (`deno test`), which answers `process.versions.deno`; a Deno-only skip reads `{ skip: isDeno && "why" }`. */
export const isDeno = (process.versions as Record<string, string | undefined>).deno !== undefined;
