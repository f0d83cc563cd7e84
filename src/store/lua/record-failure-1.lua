--[[
  Counts one failure of a resource on a node. A count whose last failure is older than the resource's failure
  timeout starts again from 1 (the failure timeout of Pacemaker).
  Input:
    KEYS[1] failure counts (hash, field '<node>|<resource>', value JSON {count, lastFailureAt, last})
    ARGV[1] field, ARGV[2] now (wall ms), ARGV[3] failure timeout (ms), ARGV[4] the last failure (JSON)
  Output: the count after this failure
]]
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local count = 1
if raw then
  local stored = cjson.decode(raw)
  if tonumber(stored.lastFailureAt) > tonumber(ARGV[2]) - tonumber(ARGV[3]) then count = stored.count + 1 end
end
local entry = { count = count, lastFailureAt = tonumber(ARGV[2]), last = cjson.decode(ARGV[4]) }
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
return count
