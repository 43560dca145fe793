/**
 * Lua scripts of the Redis budget store. Each operation is ONE script, so Redis runs it atomically
 * with respect to every other client and process.
 *
 * Storage (all keys of a tenant share the `{tenant}` hash tag, so they live in one cluster slot):
 * - counter hash  `<prefix>{tenant}:b:<tag|*>:<window>:<period>`, fields `m:<bucket>` (µ$) and
 *   `t:<bucket>` (tokens); calendar windows use bucket 0, rolling windows one field pair per bucket.
 * - reservation hash `<prefix>{tenant}:r:<requestId>`: `s` (held|settled|refunded|expired), `m`, `t`,
 *   `f` (used fraction), `n` (scope count) and per scope j: `k<j>` (counter key), `i<j>` (bucket),
 *   `e<j>` (expiry, client-clock ms).
 * - held set `<prefix>{tenant}:held`: sorted set of held reservation keys scored by hold deadline.
 *   Each reserve first releases (state `expired`) up to 50 holds past their deadline, so a process
 *   that crashed between reserve and settle cannot pin the budget for the rest of the window.
 * Expiries are set relative to the caller's clock (PEXPIRE `expireAt − now`), never extended downwards.
 */

const EXTEND = `
local function extend(key, expireAt, now)
  local ttl = expireAt - now
  local cur = redis.call('PTTL', key)
  if ttl <= 0 then
    -- a late write to a period that has ended: drop the key only if this write just re-created it
    if cur == -1 then redis.call('DEL', key) end
    return
  end
  if cur < 0 or cur < ttl then redis.call('PEXPIRE', key, string.format('%d', ttl)) end
end

-- applies (dm, dt) to every counter a reservation record was charged to
local function charge(rk, n, dm, dt, now)
  for j = 1, n do
    local c = redis.call('HMGET', rk, 'k' .. j, 'i' .. j, 'e' .. j)
    if dm ~= 0 then redis.call('HINCRBY', c[1], 'm:' .. c[2], string.format('%d', dm)) end
    if dt ~= 0 then redis.call('HINCRBY', c[1], 't:' .. c[2], string.format('%d', dt)) end
    extend(c[1], tonumber(c[3]), now)
  end
end
`;

/**
 * reserve — KEYS: reservation key, held set key, then one counter key per scope.
 * ARGV: micros, tokens, now, reservationTtlMs, hold deadline, then per scope (bucket, minBucket,
 * expireAt), then the check count, then per check (scope number 1-based, 'm' | 't', limit).
 * Returns {1, fraction} when held; {2, state, micros, tokens, fraction} when the id already exists
 * (nothing charged); {0, check number, used, counter HGETALL} when refused (nothing charged).
 */
export const RESERVE_LUA = `${EXTEND}
local now = tonumber(ARGV[3])
for _, rk in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 50)) do
  local h = redis.call('HMGET', rk, 's', 'm', 't', 'n')
  if h[1] == 'held' then
    charge(rk, tonumber(h[4]), -tonumber(h[2]), -tonumber(h[3]), now)
    redis.call('HSET', rk, 's', 'expired')
  end
  redis.call('ZREM', KEYS[2], rk)
end
local prior = redis.call('HMGET', KEYS[1], 's', 'm', 't', 'f')
if prior[1] then return {2, prior[1], prior[2], prior[3], prior[4]} end
local micros = tonumber(ARGV[1])
local tokens = tonumber(ARGV[2])
local n = #KEYS - 2
local used = {}
for j = 1, n do
  local key = KEYS[j + 2]
  local minIdx = tonumber(ARGV[5 + (j - 1) * 3 + 2])
  local flat = redis.call('HGETALL', key)
  local m, t, stale = 0, 0, {}
  for i = 1, #flat, 2 do
    local f = flat[i]
    if tonumber(string.sub(f, 3)) < minIdx then
      stale[#stale + 1] = f
    elseif string.byte(f, 1) == 109 then
      m = m + tonumber(flat[i + 1])
    else
      t = t + tonumber(flat[i + 1])
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  used[j] = {m, t}
end
local cbase = 6 + n * 3
local frac = 0
for c = 1, tonumber(ARGV[cbase]) do
  local b = cbase + (c - 1) * 3
  local sj = tonumber(ARGV[b + 1])
  local limit = tonumber(ARGV[b + 3])
  local u, need = used[sj][2], tokens
  if ARGV[b + 2] == 'm' then u, need = used[sj][1], micros end
  if u + need > limit then
    return {0, c, string.format('%d', u), redis.call('HGETALL', KEYS[sj + 2])}
  end
  local f = 1
  if limit > 0 then f = (u + need) / limit end
  if f > frac then frac = f end
end
if frac > 1 then frac = 1 end
local rec = {'s', 'held', 'm', ARGV[1], 't', ARGV[2], 'f', tostring(frac), 'n', n}
for j = 1, n do
  local base = 5 + (j - 1) * 3
  local key = KEYS[j + 2]
  redis.call('HINCRBY', key, 'm:' .. ARGV[base + 1], ARGV[1])
  redis.call('HINCRBY', key, 't:' .. ARGV[base + 1], ARGV[2])
  extend(key, tonumber(ARGV[base + 3]), now)
  rec[#rec + 1] = 'k' .. j; rec[#rec + 1] = key
  rec[#rec + 1] = 'i' .. j; rec[#rec + 1] = ARGV[base + 1]
  rec[#rec + 1] = 'e' .. j; rec[#rec + 1] = ARGV[base + 3]
end
redis.call('HSET', KEYS[1], unpack(rec))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], KEYS[1])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {1, tostring(frac)}
`;

/**
 * settle / refund — KEYS: reservation key, held set key. ARGV: actual micros, actual tokens, now,
 * doneTtlMs, new state ('settled' | 'refunded'; a refund passes 0, 0). Replaces the held amounts with
 * the actual ones in every counter the reservation was charged to; settling a reservation whose hold
 * expired charges the actual amounts in full. Returns 1 when applied, 0 for an unknown (or forgotten)
 * reservation, -1 when it was already settled or refunded (both no-ops).
 */
export const RELEASE_LUA = `${EXTEND}
local h = redis.call('HMGET', KEYS[1], 's', 'm', 't', 'n')
if not h[1] then return 0 end
if h[1] ~= 'held' and h[1] ~= 'expired' then return -1 end
local held = 0
if h[1] == 'held' then held = 1 end
charge(KEYS[1], tonumber(h[4]), tonumber(ARGV[1]) - held * tonumber(h[2]), tonumber(ARGV[2]) - held * tonumber(h[3]), tonumber(ARGV[3]))
redis.call('ZREM', KEYS[2], KEYS[1])
redis.call('HSET', KEYS[1], 's', ARGV[5], 'am', ARGV[1], 'at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;
