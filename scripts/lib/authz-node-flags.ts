// The Node flags the authz server runs with: in its Kubernetes Deployment (NODE_OPTIONS) and in
// every local harness that starts it as a process (tests, sandbox, benchmarks, soak), so what is
// measured here is what ships. test/manifests/manifests.test.ts keeps the Deployment equal to this.
//
// Why an explicit heap limit, beyond bounding the container (limit 512Mi): V8 sizes how far the old
// generation may grow between major collections from the heap limit. Without a flag Node derives
// the limit from physical memory (4 GiB on a 24 GiB machine) and, under steady Check load, resident
// memory saw-tooths by ±20 % between collections; with 384 MiB it stays within ±2 % (RELIABILITY.md,
// "Soak").
export const AUTHZ_NODE_FLAGS: readonly string[] = ["--max-old-space-size=384"];
