--[[
  A node's heartbeat: its key expires unless refreshed, and the node set remembers it for status.
  Input:
    KEYS[1] node set, KEYS[2] this node's heartbeat key
    ARGV[1] node id, ARGV[2] heartbeat JSON, ARGV[3] ttl in milliseconds
  Output: 1
]]
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
