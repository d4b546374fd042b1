// The Lua scripts behind redis-store.ts. Each store operation is one script, so it is atomic on the
// server (Redis runs a script without interleaving other commands) and costs one round trip
// (EVALSHA; ioredis falls back to EVAL once after a server restart flushed the script cache).
// The semantics mirror memory-store.ts line for line; the maths stays in TypeScript. Observations
// travel in batches (redis-store.ts): all the checks that reach the store in one event-loop turn
// share one EVALSHA.
// Not Redis Cluster ready: the keys of one call are not forced into one hash slot.

/** Keys and arguments of one observation in OBSERVE_LUA (a batch carries several back to back). */
export const OBSERVE_KEYS = 9;
export const OBSERVE_ARGS = 15;

/**
 * observe, for a batch of observations: ARGV[1] is their count n; observation i (from 0) has KEYS
 * 9i+1 .. 9i+9 and ARGV 15i+2 .. 15i+16, in this order —
 * KEYS: 1 principal failures (zset ts→ts), 2 IP failures (zset), 3 rate buckets (hash
 * index→count), 4 devices (zset fingerprint→last seen), 5 last location (string), 6 hours (hash
 * hour→count), 7..9 event hashes of subject, session, token.
 * ARGV: 1 now, 2 has principal, 3 has ip, 4 principal window, 5 ip window, 6 bucket index,
 * 7 history buckets, 8 profile ttl, 9 fingerprint or "", 10 max fingerprints, 11 "lat|lon|country"
 * or "", 12 hour or "", 13 has session, 14 has token, 15 rate ttl.
 * Returns one entry per observation, in order: {principal failures, ip failures, {rate flat},
 * known (0/1), device count, location or "", {hours flat, this request included}, {subject event
 * flat}, {session event flat}, {token event flat}}. The observations are applied one after the
 * other, so a batch leaves the same state as the same observations sent one by one.
 */
export const OBSERVE_LUA = `
local function observe(K, A)
  local now = tonumber(A[1])
  local pf, ipf, known, ndev, loc = 0, 0, 0, 0, ''
  local rate, hours, evs, evn, evt = {}, {}, {}, {}, {}
  if A[2] == '1' then
    pf = redis.call('ZCOUNT', K[1], '(' .. (now - tonumber(A[4])), '+inf')
    local ttl = tonumber(A[8])
    redis.call('HINCRBY', K[3], A[6], 1)
    local oldest = tonumber(A[6]) - tonumber(A[7])
    local flat = redis.call('HGETALL', K[3])
    for i = 1, #flat, 2 do
      if tonumber(flat[i]) < oldest then
        redis.call('HDEL', K[3], flat[i])
      else
        rate[#rate + 1] = flat[i]
        rate[#rate + 1] = flat[i + 1]
      end
    end
    redis.call('PEXPIRE', K[3], A[15])
    ndev = redis.call('ZCARD', K[4])
    if A[9] ~= '' then
      if redis.call('ZSCORE', K[4], A[9]) then known = 1 end
      redis.call('ZADD', K[4], now, A[9])
      local extra = redis.call('ZCARD', K[4]) - tonumber(A[10])
      if extra > 0 then redis.call('ZREMRANGEBYRANK', K[4], 0, extra - 1) end
      redis.call('PEXPIRE', K[4], ttl)
    end
    loc = redis.call('GET', K[5]) or ''
    if A[11] ~= '' then redis.call('SET', K[5], A[1] .. '|' .. A[11], 'PX', ttl) end
    if A[12] ~= '' then
      redis.call('HINCRBY', K[6], A[12], 1)
      redis.call('PEXPIRE', K[6], ttl)
    end
    hours = redis.call('HGETALL', K[6])
    evs = redis.call('HGETALL', K[7])
  end
  if A[3] == '1' then ipf = redis.call('ZCOUNT', K[2], '(' .. (now - tonumber(A[5])), '+inf') end
  if A[13] == '1' then evn = redis.call('HGETALL', K[8]) end
  if A[14] == '1' then evt = redis.call('HGETALL', K[9]) end
  return {pf, ipf, rate, known, ndev, loc, hours, evs, evn, evt}
end
local n = tonumber(ARGV[1])
local out = {}
for i = 0, n - 1 do
  local K, A = {}, {}
  for j = 1, ${OBSERVE_KEYS} do K[j] = KEYS[i * ${OBSERVE_KEYS} + j] end
  for j = 1, ${OBSERVE_ARGS} do A[j] = ARGV[1 + i * ${OBSERVE_ARGS} + j] end
  out[i + 1] = observe(K, A)
end
return out
`;

/**
 * recordFailure. KEYS: 1 principal failures, 2 IP failures. ARGV: 1 now, 2 has principal, 3 has ip,
 * 4 principal window, 5 ip window, 6 max per key, 7 unique member. Drops entries at or before
 * now − window, keeps the newest `max`, expires the key after a window of quiet.
 */
export const RECORD_FAILURE_LUA = `
local now = tonumber(ARGV[1])
local function add(key, window)
  redis.call('ZADD', key, now, ARGV[7])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local extra = redis.call('ZCARD', key) - tonumber(ARGV[6])
  if extra > 0 then redis.call('ZREMRANGEBYRANK', key, 0, extra - 1) end
  redis.call('PEXPIRE', key, window)
end
if ARGV[2] == '1' then add(KEYS[1], tonumber(ARGV[4])) end
if ARGV[3] == '1' then add(KEYS[2], tonumber(ARGV[5])) end
return 1
`;

/**
 * applyEvent. KEYS: 1 the target's event hash. ARGV: 1 revokedAtMs or "", 2 credentialChangedAtMs
 * or "", 3 riskLevel or "", 4 riskLevelUntilMs, 5 ttl. Instants keep the later value; a level floor
 * is replaced (mergeEventState in types.ts); the key's TTL only ever grows.
 */
export const APPLY_EVENT_LUA = `
local function later(field, value)
  if value == '' then return end
  local old = tonumber(redis.call('HGET', KEYS[1], field) or '0')
  if tonumber(value) > old then redis.call('HSET', KEYS[1], field, value) end
end
later('revokedAtMs', ARGV[1])
later('credentialChangedAtMs', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'riskLevel', ARGV[3], 'riskLevelUntilMs', ARGV[4]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return 1
`;
