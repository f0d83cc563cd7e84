--[[
  A leader's write of a control-plane value, refused when a newer term has been seen (the fence).
  Values carry (term, version); a member keeps the highest pair (term first), so a late or repeated write
  changes nothing and a newer leader's value wins over a deposed leader's, whatever their versions.
  Input:
    KEYS[1] fence, KEYS[2] the value's key (hash {term, version, value})
    ARGV[1] term, ARGV[2] version, ARGV[3] value, ARGV[4] 'set' or 'create' (create only if absent)
  Output: {code, storedTerm, storedVersion}
     1  written
     0  not written: the member holds the same or a newer (term, version), or 'create' found a value
    -2  refused: the writer's term is below the fence (storedTerm is the fence)
]]
local rcall = redis.call
local fence = tonumber(rcall('GET', KEYS[1]) or '0')
local term = tonumber(ARGV[1])
local version = tonumber(ARGV[2])
if term < fence then return {-2, fence, 0} end
if term > fence then rcall('SET', KEYS[1], ARGV[1]) end
local stored = rcall('HMGET', KEYS[2], 'term', 'version')
if stored[1] then
  local storedTerm = tonumber(stored[1])
  local storedVersion = tonumber(stored[2])
  if ARGV[4] == 'create' or storedTerm > term or (storedTerm == term and storedVersion >= version) then
    return {0, storedTerm, storedVersion}
  end
end
rcall('HSET', KEYS[2], 'term', ARGV[1], 'version', ARGV[2], 'value', ARGV[3])
return {1, term, version}
