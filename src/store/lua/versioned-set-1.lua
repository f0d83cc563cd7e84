--[[
  An operator's write of a control-plane document (standby, maintenance, unmanaged, commands), not fenced by a term:
  clusterctl is not a leader. Last writer wins by version (clusterctl uses a time-based, increasing version).
  Input:
    KEYS[1] the document's key (hash {version, value})
    ARGV[1] version, ARGV[2] value (JSON)
  Output: 1 written, 0 the member holds the same or a newer version (nothing changed)
]]
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
if stored >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'value', ARGV[2])
return 1
