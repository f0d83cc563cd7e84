--[[
  Gives the lease up (compare-and-delete on node and term), optionally naming the successor, and wakes every agent.
  Used by a leader that steps down gracefully, and by the guard for an agent that died.
  Input:
    KEYS[1] lease, KEYS[2] handoff, KEYS[3] wake channel
    ARGV[1] node, ARGV[2] term, ARGV[3] successor node or '', ARGV[4] handoff ttl in milliseconds
  Output: 1 released, 0 not held by this node and term (nothing changed)
]]
local rcall = redis.call
local holder = rcall('HMGET', KEYS[1], 'node', 'term')
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then return 0 end
rcall('DEL', KEYS[1])
if ARGV[3] ~= '' then rcall('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) end
rcall('PUBLISH', KEYS[3], 'released ' .. ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. ARGV[3])
return 1
