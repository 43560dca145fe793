/**
 * GCRA take over several limits in ONE Lua script (atomic across processes); the same arithmetic as
 * `gcraDecide` in `engine/rate-limit-plan.ts`.
 * KEYS: one state key per limit (value: theoretical arrival time, client-clock ms).
 * ARGV: now, then per limit (emission interval T ms, period ms, cost, checked cost = min(cost, limit)).
 * Returns {1} when every limit allows (all states advanced), else {0, limit number, wait ms as string}
 * for the limit with the longest wait (nothing consumed).
 */
export const GCRA_TAKE_LUA = `
local now = tonumber(ARGV[1])
local next = {}
local worst, wait = 0, 0
for i = 1, #KEYS do
  local b = 1 + (i - 1) * 4
  local t = tonumber(ARGV[b + 1])
  local period = tonumber(ARGV[b + 2])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local allowAt = tat + tonumber(ARGV[b + 4]) * t - period
  if allowAt > now and allowAt - now > wait then
    worst = i
    wait = allowAt - now
  end
  next[i] = tat + tonumber(ARGV[b + 3]) * t
end
if worst > 0 then return {0, worst, string.format('%.17g', wait)} end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], string.format('%.17g', next[i]), 'PX', math.max(1, math.ceil(next[i] - now)))
end
return {1}
`;
