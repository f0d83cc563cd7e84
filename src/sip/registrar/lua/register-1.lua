--[[
One REGISTER applied to one address of record, atomically: concurrent REGISTERs of the same AOR never lose an
update (Flexisip reads, changes and writes without a lock). Record format: Flexisip's (hash `fs:<user>@<host>`,
field = the contact's unique id, value = the serialized contact whose URI carries `expires` (seconds granted) and
`updatedAt` (unix time of the REGISTER), `callid` and `cseq`). A stored contact is live while updatedAt + expires
is in the future; dead ones are dropped here, lazily, as Flexisip readers do.

KEYS[1]  fs:<aor>
ARGV[1]  now, unix seconds
ARGV[2]  the most contacts one AOR may keep (the oldest by updatedAt are evicted beyond it)
ARGV[3]  the pub/sub channel of the AOR (its key without `fs:`, as Flexisip publishes)
ARGV[4]  'bind', or 'clear' (Contact: *, Expires: 0: every contact removed)
ARGV[5..] per contact, five values: field, serialized value, expires (0 removes it), call-id as serialized, cseq

Returns {'ok', field1, value1, ...} (the live contacts after the change), or {'stale', field, storedCseq} when a
contact has the stored Call-ID with a CSeq not above the stored one (RFC 3261 10.3 step 7: the request fails and
nothing is changed).
]]
local key = KEYS[1]
local now = tonumber(ARGV[1])
local max_contacts = tonumber(ARGV[2])
local channel = ARGV[3]

-- The URI of a serialized contact: the first <scheme:...> (its URI headers are escaped, so no '>' inside).
local function uri_of(value)
  return string.match(value, '<(%a[%w+.-]*:[^>]*)>') or value
end

local function uri_param(value, name)
  return string.match(uri_of(value), ';' .. name .. '=([^;?]*)')
end

local function expiry_of(value)
  local updated = tonumber(uri_param(value, 'updatedAt') or '')
  local expires = tonumber(uri_param(value, 'expires') or '')
  if not updated or not expires then return nil end
  return updated + expires
end

if ARGV[4] == 'clear' then
  local fields = redis.call('HKEYS', key)
  redis.call('DEL', key)
  for _, field in ipairs(fields) do redis.call('PUBLISH', channel, field) end
  return {'ok'}
end

-- The stored contacts, without the dead ones.
local stored = {}
local flat = redis.call('HGETALL', key)
for i = 1, #flat, 2 do
  local expiry = expiry_of(flat[i + 1])
  if expiry and expiry > now then
    stored[flat[i]] = flat[i + 1]
  else
    redis.call('HDEL', key, flat[i])
  end
end

-- RFC 3261 10.3 step 7, checked for every contact before anything is written.
for i = 5, #ARGV, 5 do
  local field, call_id, cseq = ARGV[i], ARGV[i + 3], tonumber(ARGV[i + 4])
  local previous = stored[field]
  if previous and uri_param(previous, 'callid') == call_id then
    local stored_cseq = tonumber(uri_param(previous, 'cseq') or '')
    if stored_cseq and cseq <= stored_cseq then return {'stale', field, tostring(stored_cseq)} end
  end
end

local changed = {}
for i = 5, #ARGV, 5 do
  local field, value, expires = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if expires > 0 then
    stored[field] = value
    redis.call('HSET', key, field, value)
  elseif stored[field] then
    stored[field] = nil
    redis.call('HDEL', key, field)
  end
  changed[#changed + 1] = field
end

-- Over the limit: the least recently updated contacts go (Flexisip's max-contacts-by-aor).
local live = {}
for field, value in pairs(stored) do
  live[#live + 1] = { field = field, value = value, updated = tonumber(uri_param(value, 'updatedAt')) or 0 }
end
table.sort(live, function(a, b)
  if a.updated ~= b.updated then return a.updated > b.updated end
  return a.field < b.field
end)
while #live > max_contacts do
  local evicted = table.remove(live)
  redis.call('HDEL', key, evicted.field)
  changed[#changed + 1] = evicted.field
end

local reply = {'ok'}
local latest = 0
for _, contact in ipairs(live) do
  reply[#reply + 1] = contact.field
  reply[#reply + 1] = contact.value
  latest = math.max(latest, expiry_of(contact.value) or 0)
end
if #live == 0 then
  redis.call('DEL', key)
else
  redis.call('EXPIREAT', key, latest)
end
for _, field in ipairs(changed) do redis.call('PUBLISH', channel, field) end
return reply
