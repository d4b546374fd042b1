// How the server names a URL it was configured with (bundle source, JWKS) in /status, metrics
// labels, logs and error messages: scheme, host and path only. Userinfo and the query string are
// left out because that is where credentials live (`https://user:pass@…`, presigned
// `?X-Amz-Signature=…`), and /status needs no authentication. File paths are returned as given. Pure.

export function displayUrl(source: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  try {
    const url = new URL(source);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}
