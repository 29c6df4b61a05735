/** The package version (kept equal to package.json's by a test; a single executable has no package.json). */
export const VERSION = "0.1.0";
