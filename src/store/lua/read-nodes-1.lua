--[[
  Every known node with its heartbeat and the time left on it.
  Input:
    KEYS[1] node set
    ARGV[1] heartbeat key prefix (the node id is appended)
  Output: flat list {id, heartbeat JSON or '', pttl, ...}
]]
local rcall = redis.call
local result = {}
for _, id in ipairs(rcall('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id
  result[#result + 1] = id
  result[#result + 1] = rcall('GET', key) or ''
  result[#result + 1] = rcall('PTTL', key)
end
return result
