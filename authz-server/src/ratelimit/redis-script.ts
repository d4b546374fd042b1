// The one Lua script behind a ShouldRateLimit call on Redis: every descriptor of the request is
// decided in one EVALSHA, atomically (Redis runs a script without interleaving other commands), so
// replicas of the authz server share buckets exactly. It mirrors gcra.ts and memory-store.ts
// (the rules are listed in store.ts); tests run the same cases through both.
//
// Time is Redis's own clock (TIME), so the replicas' clocks never enter the maths; ARGV[1] may pin
// it for tests, and then no key gets an expiry (real time would expire keys whatever the pinned
// clock says). Values are stored with %.17g: Lua's default tostring keeps 14 digits, too few for
// microseconds since the epoch plus fractions.
//
// KEYS, three per descriptor i: 3i−2 the bucket (a string holding the TAT, expiring when the
// bucket is full again), 3i−1 the rule's set of live per-value buckets (sorted by the time each is
// full again; it expires τ after its last write, when every member is full again: a TAT is never
// more than τ ahead of now), 3i the rule's overflow bucket. All keys of a call carry the domain's hash tag
// (redis-store.ts), so they live in one Redis Cluster slot.
// ARGV: 1 now (µs since RATE_EPOCH) or "", 2 n; then five per descriptor i at 2 + 5(i−1):
// +1 interval T (µs), +2 tolerance τ (µs), +3 cost, +4 enforce ("1"/"0"), +5 cap (0: not per value).
// Reply: {admitted 0/1, then per descriptor: fits 0/1, remaining, reset µs, retry µs, overflow 0/1}.
import { ADMIT_EPSILON_US, RATE_EPOCH_SECONDS } from "./gcra.ts";

export const CHARGE_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local now
local pinned = ARGV[1] ~= ''
if pinned then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = (tonumber(t[1]) - ${RATE_EPOCH_SECONDS}) * 1000000 + tonumber(t[2])
end
local n = tonumber(ARGV[2])
local planned, keys, tats, nexts, fits, over = {}, {}, {}, {}, {}, {}
local admit = true
for i = 1, n do
  local a = 2 + (i - 1) * 5
  local interval, tolerance, cost = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local cap = tonumber(ARGV[a + 5])
  local key, set = KEYS[3 * i - 2], KEYS[3 * i - 1]
  local overflow = 0
  local stored = planned[key]
  if stored == nil then
    local raw = redis.call('GET', key)
    -- No key: a value not seen, or seen so long ago that its bucket is full again. Either way a
    -- new live bucket, which a capped rule admits only below its cap.
    if not raw and cap > 0 and redis.call('ZCARD', set) >= cap then
      redis.call('ZREMRANGEBYSCORE', set, '-inf', now)
      if redis.call('ZCARD', set) >= cap then
        key = KEYS[3 * i]
        overflow = 1
        raw = planned[key] or redis.call('GET', key)
      end
    end
    stored = tonumber(raw or '0') or 0
  end
  local tat = stored
  if tat < now then tat = now end
  local nxt = tat + cost * interval
  local ok = nxt - now <= tolerance + ${ADMIT_EPSILON_US}
  if ok then planned[key] = nxt else planned[key] = tat end
  if not ok and ARGV[a + 4] == '1' then admit = false end
  keys[i], tats[i], nexts[i], fits[i], over[i] = key, tat, nxt, ok, overflow
end
local out = {0}
if admit then out[1] = 1 end
for i = 1, n do
  local a = 2 + (i - 1) * 5
  local interval, tolerance = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local after = tats[i]
  if admit and fits[i] then
    after = nexts[i]
    if pinned then
      redis.call('SET', keys[i], string.format('%.17g', after))
    else
      redis.call('SET', keys[i], string.format('%.17g', after), 'PX', math.ceil((after - now) / 1000))
    end
    if over[i] == 0 and tonumber(ARGV[a + 5]) > 0 then
      local set = KEYS[3 * i - 1]
      redis.call('ZADD', set, string.format('%.17g', after), keys[i])
      if not pinned then redis.call('PEXPIRE', set, math.ceil(tolerance / 1000) + 1) end
    end
  end
  local remaining = math.floor((tolerance - (after - now)) / interval + 1e-9)
  if remaining < 0 then remaining = 0 end
  local retry = 0
  if not fits[i] then retry = math.ceil(nexts[i] - tolerance - now) end
  local ok = 0
  if fits[i] then ok = 1 end
  out[#out + 1] = ok
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil(after - now)
  out[#out + 1] = retry
  out[#out + 1] = over[i]
end
return out
`;
