#!/usr/bin/env node
// Regenerates authz-server/src/gen/ (protobuf-es TypeScript) from the .proto files listed below, via
// buf.yaml + buf.gen.yaml. With --check it generates into a temporary folder and fails when the
// checked-in code differs (drift), naming the files.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "authz-server/src/gen");
const protos = [
  "node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/service/auth/v3/external_auth.proto",
  "node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/service/ratelimit/v3/rls.proto",
  "authz-server/proto/grpc/health/v1/health.proto",
];
const check = process.argv.includes("--check");

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  try {
    walk(dir);
  } catch {}
  return out.sort();
}

const scratch = mkdtempSync(join(tmpdir(), "meshward-gen-"));
try {
  const out = join(scratch, "out");
  const templateFile = join(scratch, "buf.gen.yaml");
  writeFileSync(
    templateFile,
    readFileSync(join(root, "buf.gen.yaml"), "utf8").replace("out: authz-server/src/gen", `out: ${out}`),
  );
  const r = spawnSync(
    "npx",
    ["--no-install", "buf", "generate", "--template", templateFile, ...protos.flatMap((p) => ["--path", p])],
    {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  if (r.status !== 0) {
    console.error(`gen-proto: buf generate failed:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  const fresh = listFiles(out);
  if (check) {
    const current = listFiles(target);
    const drift = [...new Set([...fresh, ...current])].filter((f) => {
      try {
        return readFileSync(join(out, f), "utf8") !== readFileSync(join(target, f), "utf8");
      } catch {
        return true;
      }
    });
    if (drift.length > 0) {
      console.error(`gen-proto: generated code is out of date (run npm run gen): ${drift.join(", ")}`);
      process.exit(1);
    }
    console.log(`gen-proto: ${fresh.length} generated files up to date`);
  } else {
    rmSync(target, { recursive: true, force: true });
    cpSync(out, target, { recursive: true });
    console.log(`gen-proto: wrote ${fresh.length} files to ${relative(root, target)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
