--[[
  Takes the lease on this member for a new term, and raises the fence to that term.
  Input:
    KEYS[1] lease, KEYS[2] fence, KEYS[3] handoff
    ARGV[1] node, ARGV[2] term, ARGV[3] instance (random per agent process), ARGV[4] ttl in milliseconds
  Output: {code, fence}
     1  taken; fence is now the new term
    -1  the lease is held (by anyone: a restarted agent never resumes a lease it held before)
    -2  the term is not above this member's fence; fence returned so the candidate can go higher
    -3  the last leader handed the lease to another node, which has the first turn for one ttl
]]
local rcall = redis.call
local fence = tonumber(rcall('GET', KEYS[2]) or '0')
local term = tonumber(ARGV[2])
if term <= fence then return {-2, fence} end
if rcall('EXISTS', KEYS[1]) == 1 then return {-1, fence} end
local handoff = rcall('GET', KEYS[3])
if handoff and handoff ~= ARGV[1] then return {-3, fence} end
rcall('SET', KEYS[2], ARGV[2])
rcall('HSET', KEYS[1], 'node', ARGV[1], 'term', ARGV[2], 'instance', ARGV[3])
rcall('PEXPIRE', KEYS[1], ARGV[4])
rcall('DEL', KEYS[3])
return {1, term}
