// The parts of the policy input a policy reads (found by policy/input-paths.ts), as the input's
// writer (TranslatedRequest.write, message-json.ts) follows them: a key mapped to `true` is written
// whole, a key mapped to another projection only in the parts that one names, a key absent not at
// all. Below the CheckRequest's messages and string maps the writer follows the projection; other
// members (parsed_body, meshward, ...) are written whole when named.
export type InputProjection = ReadonlyMap<string, InputProjection | true>;
