// The size, in MB, of each of V8's two young-generation semi-spaces for the relay, wherever it runs:
// baked into the single executable (scripts/build.ts, sea-config execArgv), and given by
// `npm start` (package.json) and deno.json's `start` task; test/readme.test.ts checks they agree.
//
// Left to itself, V8 grows the semi-spaces to 64 MB each under the benchmark's load: the relay's
// RSS went to ~195 MB (anon ~148 MB). Measured on the 2-vCPU VM (npm run bench, 3 rounds × 10 s,
// ratios to the baseline of the same run; peak RSS / anon RSS):
//   2 MB: 0.90× the baseline, 88 / 40 MB (the baseline itself: 88 / 36 MB)
//   8 MB: 0.97×, 110 / 64 MB
//   V8's default: 0.96–0.99×, 195 / 148 MB
// A request allocates ~19 KB that dies young (node:http about half of it), so a smaller young
// generation means more scavenges: 2 MB costs ~7% of throughput for ~22 MB less memory. 8 MB keeps
// the throughput within a few % of the ceiling at about half the memory of V8's default.
// In the binary, NODE_OPTIONS cannot change it (the baked-in flag comes after and wins): build another
// with `npm run build -- --semi-space N` (docs/performance.md).
export const SEMI_SPACE_MB = 8;
