// Hash and HMAC builtins (topdown/crypto.go): digests as lower-case hex of the string's bytes;
// crypto.hmac.equal compares in constant time.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Builtin } from "../wasm-host.ts";
import { bytesOf } from "./operands.ts";

const digest =
  (algorithm: string, name: string): Builtin =>
  ([s]) =>
    createHash(algorithm).update(bytesOf(s, name)).digest("hex");

const hmac =
  (algorithm: string, name: string): Builtin =>
  ([message, key]) =>
    createHmac(algorithm, bytesOf(key, name)).update(bytesOf(message, name)).digest("hex");

export const cryptoBuiltins: Record<string, Builtin> = {
  "crypto.md5": digest("md5", "crypto.md5"),
  "crypto.sha1": digest("sha1", "crypto.sha1"),
  "crypto.sha256": digest("sha256", "crypto.sha256"),
  "crypto.hmac.md5": hmac("md5", "crypto.hmac.md5"),
  "crypto.hmac.sha1": hmac("sha1", "crypto.hmac.sha1"),
  "crypto.hmac.sha256": hmac("sha256", "crypto.hmac.sha256"),
  "crypto.hmac.sha512": hmac("sha512", "crypto.hmac.sha512"),
  "crypto.hmac.equal": ([a, b]) => {
    const x = bytesOf(a, "crypto.hmac.equal");
    const y = bytesOf(b, "crypto.hmac.equal");
    return x.length === y.length && timingSafeEqual(x, y);
  },
};
