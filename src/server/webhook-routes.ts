import { TEXML_KINDS, type TexmlKind } from "../events/texml-paths.ts";

/** What a webhook path means: the general path (no kind), or a TeXML per-kind path. */
export interface WebhookRoute {
  readonly texmlKind: TexmlKind | undefined;
}

/**
 * The webhook paths the relay serves, from `--path`: the path itself (any registered event type,
 * recognised by its fields) and `<path>/texml/<kind>` for each TeXML kind (src/events/texml-paths.ts),
 * where the body is validated as that kind.
 *
 * @param path The `--path` (a trailing slash is not doubled).
 * @returns Each served path and its route.
 * @example
 * ```ts
 * webhookRoutes("/webhooks/telnyx").get("/webhooks/telnyx/texml/call-status"); // { texmlKind: "call-status" }
 * ```
 */
export function webhookRoutes(path: string): ReadonlyMap<string, WebhookRoute> {
  const base = path.endsWith("/") ? path.slice(0, -1) : path;
  const routes = new Map<string, WebhookRoute>([[path, { texmlKind: undefined }]]);
  for (const kind of TEXML_KINDS) routes.set(`${base}/texml/${kind}`, { texmlKind: kind });
  return routes;
}
