// `x-forwarded-client-cert` (XFCC), which Envoy sets from the downstream mTLS peer when
// `forward_client_cert_details` is SANITIZE_SET or APPEND_FORWARD (Istio sidecars do): elements
// separated by ",", each `Key=value;Key="quoted, value"` with keys By, Hash, Cert, Chain, Subject,
// URI, DNS. The last element is the hop nearest to us. HTTP ext_authz mode has no
// `source.principal`, so this is where the peer's SPIFFE ID comes from there. Pure.

/** Splits on `separator` outside double quotes. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\" && quoted && i + 1 < text.length) {
      current += ch + text[++i];
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** The URI SAN of the nearest hop's client certificate, if the header names one. */
export function xfccPeerUri(header: string): string | undefined {
  const elements = splitOutsideQuotes(header, ",");
  const nearest = elements[elements.length - 1] ?? "";
  for (const pair of splitOutsideQuotes(nearest, ";")) {
    const eq = pair.indexOf("=");
    if (eq === -1 || pair.slice(0, eq).trim().toLowerCase() !== "uri") continue;
    const value = pair.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
  }
  return undefined;
}
