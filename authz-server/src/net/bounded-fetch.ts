// GET of a document the server depends on (policy bundle, JWKS) with every bound explicit:
//   - redirects are not followed: a 3xx is an error naming the status, so an open redirect on the
//     configured host cannot hand the server someone else's keys or policy;
//   - a declared Content-Length above `maxBytes` is refused before any of the body is read, and
//     the streamed body is cut off as soon as it passes `maxBytes` (a server may lie or omit it);
//   - one timeout covers the headers and the whole body.
// Userinfo in the URL (`https://user:pass@host/…`, which fetch refuses) is sent as Basic
// authentication. 304 Not Modified comes back as a status with an empty body (ETag polling).
import { displayUrl } from "../ops/display-url.ts";

export interface BoundedFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  headers?: Record<string, string>;
}

export interface BoundedResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export class FetchError extends Error {
  constructor(
    message: string,
    /** True when the size cap (not the network or the server) refused the document. */
    readonly limit = false,
  ) {
    super(message);
  }
}

async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number, where: string): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new FetchError(`${where}: body larger than ${maxBytes} bytes`, true);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** The URL without userinfo, and the Basic credentials it carried. */
function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { url, headers: {} };
  const user = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.href, headers: { authorization: `Basic ${Buffer.from(user).toString("base64")}` } };
}

export async function boundedFetch(url: string, options: BoundedFetchOptions): Promise<BoundedResponse> {
  const where = `GET ${displayUrl(url)}`;
  let response: Response;
  try {
    const target = splitCredentials(url);
    response = await fetch(target.url, {
      headers: { ...target.headers, ...options.headers },
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    throw new FetchError(`${where}: ${(err as Error).message}`);
  }
  const declared = response.headers.get("content-length");
  const refuse = async (message: string, limit = false): Promise<never> => {
    await response.body?.cancel().catch(() => {});
    throw new FetchError(`${where}: ${message}`, limit);
  };
  if (response.status >= 300 && response.status < 400 && response.status !== 304)
    return refuse(`HTTP ${response.status}: redirects are not followed`);
  if (declared !== null && Number(declared) > options.maxBytes)
    return refuse(`Content-Length ${declared} is above the limit of ${options.maxBytes} bytes`, true);
  try {
    const body = response.body ? await readCapped(response.body, options.maxBytes, where) : new Uint8Array(0);
    return { status: response.status, headers: response.headers, body };
  } catch (err) {
    if (err instanceof FetchError) throw err;
    throw new FetchError(`${where}: ${(err as Error).message}`);
  }
}
