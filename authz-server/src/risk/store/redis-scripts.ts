// The Lua scripts behind redis-store.ts. Each store operation is one script, so it is atomic on the
// server (Redis runs a script without interleaving other commands) and costs one round trip
// (EVALSHA; ioredis falls back to EVAL once after a server restart flushed the script cache).
// The semantics mirror memory-store.ts line for line; the maths stays in TypeScript.
// Not Redis Cluster ready: the keys of one call are not forced into one hash slot.

/**
 * observe. KEYS: 1 principal failures (zset ts→ts), 2 IP failures (zset), 3 rate buckets (hash
 * index→count), 4 devices (zset fingerprint→last seen), 5 last location (string), 6 hours (hash
 * hour→count), 7..9 event hashes of subject, session, token.
 * ARGV: 1 now, 2 has principal, 3 has ip, 4 principal window, 5 ip window, 6 bucket index,
 * 7 history buckets, 8 profile ttl, 9 fingerprint or "", 10 max fingerprints, 11 "lat|lon|country"
 * or "", 12 hour or "", 13 has session, 14 has token, 15 rate ttl.
 * Returns: {principal failures, ip failures, {rate flat}, known (0/1), device count, location or "",
 * {hours flat, this request included}, {subject event flat}, {session event flat}, {token event flat}}.
 */
export const OBSERVE_LUA = `
local now = tonumber(ARGV[1])
local pf, ipf, known, ndev, loc = 0, 0, 0, 0, ''
local rate, hours, evs, evn, evt = {}, {}, {}, {}, {}
if ARGV[2] == '1' then
  pf = redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[4])), '+inf')
  local ttl = tonumber(ARGV[8])
  redis.call('HINCRBY', KEYS[3], ARGV[6], 1)
  local oldest = tonumber(ARGV[6]) - tonumber(ARGV[7])
  local flat = redis.call('HGETALL', KEYS[3])
  for i = 1, #flat, 2 do
    if tonumber(flat[i]) < oldest then
      redis.call('HDEL', KEYS[3], flat[i])
    else
      rate[#rate + 1] = flat[i]
      rate[#rate + 1] = flat[i + 1]
    end
  end
  redis.call('PEXPIRE', KEYS[3], ARGV[15])
  ndev = redis.call('ZCARD', KEYS[4])
  if ARGV[9] ~= '' then
    if redis.call('ZSCORE', KEYS[4], ARGV[9]) then known = 1 end
    redis.call('ZADD', KEYS[4], now, ARGV[9])
    local extra = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[10])
    if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[4], 0, extra - 1) end
    redis.call('PEXPIRE', KEYS[4], ttl)
  end
  loc = redis.call('GET', KEYS[5]) or ''
  if ARGV[11] ~= '' then redis.call('SET', KEYS[5], ARGV[1] .. '|' .. ARGV[11], 'PX', ttl) end
  if ARGV[12] ~= '' then
    redis.call('HINCRBY', KEYS[6], ARGV[12], 1)
    redis.call('PEXPIRE', KEYS[6], ttl)
  end
  hours = redis.call('HGETALL', KEYS[6])
  evs = redis.call('HGETALL', KEYS[7])
end
if ARGV[3] == '1' then ipf = redis.call('ZCOUNT', KEYS[2], '(' .. (now - tonumber(ARGV[5])), '+inf') end
if ARGV[13] == '1' then evn = redis.call('HGETALL', KEYS[8]) end
if ARGV[14] == '1' then evt = redis.call('HGETALL', KEYS[9]) end
return {pf, ipf, rate, known, ndev, loc, hours, evs, evn, evt}
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
