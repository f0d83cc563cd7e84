--[[
  Extends the holder's lease on this member. A member that lost the lease (restarted, or missed the acquire) gets it
  back: the caller only renews while its local bound says a majority still holds it, so no other node can.
  Input:
    KEYS[1] lease, KEYS[2] fence, KEYS[3] handoff
    ARGV[1] node, ARGV[2] term, ARGV[3] instance, ARGV[4] ttl in milliseconds
  Output: {code, fence}
     1  extended
     2  re-created on this member
    -1  held by another node, term or agent process
    -2  a newer term exists (fence returned): the caller has been deposed
    -3  released with a named successor: not ours any more
]]
local rcall = redis.call
local fence = tonumber(rcall('GET', KEYS[2]) or '0')
local term = tonumber(ARGV[2])
if term < fence then return {-2, fence} end
local holder = rcall('HMGET', KEYS[1], 'node', 'term', 'instance')
if not holder[1] then
  if rcall('EXISTS', KEYS[3]) == 1 then return {-3, fence} end
  rcall('SET', KEYS[2], ARGV[2])
  rcall('HSET', KEYS[1], 'node', ARGV[1], 'term', ARGV[2], 'instance', ARGV[3])
  rcall('PEXPIRE', KEYS[1], ARGV[4])
  return {2, term}
end
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] or holder[3] ~= ARGV[3] then return {-1, fence} end
if term > fence then rcall('SET', KEYS[2], ARGV[2]) end
rcall('PEXPIRE', KEYS[1], ARGV[4])
return {1, term}
