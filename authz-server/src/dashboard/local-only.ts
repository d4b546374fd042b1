// Who may use a loopback-only HTTP API (the live page's API, the sandbox's control API): requests a
// browser sends on behalf of another site are refused, whatever the socket they arrive on.
//   - Host must name this listener by a loopback name and its port: a DNS-rebinding page
//     (evil.example resolving to 127.0.0.1) sends `Host: evil.example`;
//   - Origin, when sent, must be this listener's own origin (or absent where no browser should
//     ever call: `allowBrowser: false`);
//   - a request that changes state must say `content-type: application/json`: a cross-site form or
//     a `text/plain` fetch cannot, without a CORS preflight that nothing here answers;
//   - `Sec-Fetch-Site: cross-site` is refused as well (browsers that send it).
// Pure: the caller passes the headers and the port the request arrived on.

export interface LocalRequest {
  method: string;
  host?: string | undefined;
  origin?: string | undefined;
  contentType?: string | undefined;
  secFetchSite?: string | undefined;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** Why the request must be refused (a short reason for a 403), or undefined. */
export function localRequestProblem(
  request: LocalRequest,
  port: number,
  options: { allowBrowser: boolean },
): string | undefined {
  const own = LOOPBACK_NAMES.map((name) => `${name}:${port}`);
  if (!request.host || !own.includes(request.host.toLowerCase())) return "host is not this loopback listener";
  if (request.origin !== undefined) {
    if (!options.allowBrowser) return "no browser may call this API";
    if (!own.map((h) => `http://${h}`).includes(request.origin.toLowerCase())) return "cross-origin request";
  }
  if (request.secFetchSite === "cross-site") return "cross-site request";
  const changesState = request.method !== "GET" && request.method !== "HEAD";
  const mediaType = (request.contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (changesState && mediaType !== "application/json") return "content-type must be application/json";
  return undefined;
}
