--[[
  Reads what one lock member knows about the lease, for a candidate, a leader or `clusterctl status`.
  Input:
    KEYS[1] lease       hash {node, term, instance}, expires with the lease
    KEYS[2] fence       highest term this member has accepted (never expires)
    KEYS[3] handoff     successor named by the last graceful release, expires after one ttl
    KEYS[4] definition  hash {term, version, value}
  Output:
    {holderNode, holderTerm, holderInstance, leasePttl, fence, handoffNode, handoffPttl, definitionTerm,
     definitionVersion}; missing values are '' and pttl -2
]]
local rcall = redis.call
local lease = rcall('HMGET', KEYS[1], 'node', 'term', 'instance')
local handoff = rcall('GET', KEYS[3])
local definition = rcall('HMGET', KEYS[4], 'term', 'version')
return {
  lease[1] or '', lease[2] or '', lease[3] or '', rcall('PTTL', KEYS[1]),
  rcall('GET', KEYS[2]) or '0',
  handoff or '', rcall('PTTL', KEYS[3]),
  definition[1] or '', definition[2] or ''
}
