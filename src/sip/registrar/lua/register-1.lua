--[[
One REGISTER applied to one address of record, atomically: concurrent REGISTERs of the same AOR never lose an
update (Flexisip reads, changes and writes without a lock). Record format: Flexisip's (hash `fs:<user>@<host>`,
field = the contact's unique id, value = the serialized contact whose URI parameters carry `expires` (seconds
granted), `updatedAt` (unix time of the REGISTER), `callid` and `cseq`). A stored contact is live while
updatedAt + expires is in the future; dead ones are dropped here, lazily, as Flexisip readers do.

KEYS[1]  fs:<aor>
KEYS[2]  the index of live bindings (sorted set, member `<aor> <field>`, score = the binding's expiry): counting
         the registrations is one ZCOUNT instead of a SCAN of every record. Expired members are pruned by readers.
ARGV[1]  now, unix seconds
ARGV[2]  the most contacts one AOR may keep (the least recently updated are evicted beyond it)
ARGV[3]  the pub/sub channel of the AOR (its key without `fs:`, as Flexisip publishes)
ARGV[4]  'bind', or 'clear' (Contact: *, Expires: 0: every contact removed)
ARGV[5]  the REGISTER's Call-ID, as serialized in the callid parameter
ARGV[6]  the REGISTER's CSeq number
ARGV[7..] 'bind': per contact, five values: field, serialized value, expires (0 removes it), push key ('' if
         none), and for a removal without instance its URI up to the parameters ('' otherwise): the bindings
         whose URI starts the same are removed too, whatever their field (RFC 3261 10.3: matched by URI)

Returns, with the live contacts listed most recently updated first:
  {'ok', field1, value1, ...}               applied; the live contacts after the change
  {'retransmission', field1, value1, ...}   a contact (for 'clear': any binding) is stored with this Call-ID and
                                            this CSeq: the REGISTER was applied already; nothing changed
  {'stale', field, storedCseq}              stored with this Call-ID and a higher CSeq (RFC 3261 10.3 steps 6-7:
                                            the request fails); nothing changed
]]
local key = KEYS[1]
local index = KEYS[2]
local now = tonumber(ARGV[1])
local max_contacts = tonumber(ARGV[2])
local channel = ARGV[3]
-- A binding in the index: the channel is the AOR.
local function member(field) return channel .. ' ' .. field end
local mode = ARGV[4]
local call_id = ARGV[5]
local cseq = tonumber(ARGV[6])

-- The URI of a stored contact, without its headers, split into its base (scheme, user, host, port: lower case) and
-- its parameters. The display name is skipped as a quoted string (it is the device's text and may hold
-- "<sip:...;expires=...>"); the user part, which may hold ';', ends at the first '@' (sofia-sip's rule); the URI
-- headers start at the next '?' and are escaped, so hold no ';'.
local function uri_parts(value)
  local from = 1
  local first = string.find(value, '[^ \t]')
  if first and string.byte(value, first) == 34 then
    local i = first + 1
    while true do
      local at = string.find(value, '["\\]', i)
      if not at then return '', '' end
      if string.byte(value, at) == 92 then
        i = at + 2
      else
        from = at + 1
        break
      end
    end
  end
  local lt = string.find(value, '<', from, true)
  if not lt then return '', '' end
  local gt = string.find(value, '>', lt, true) or (#value + 1)
  local uri = string.sub(value, lt + 1, gt - 1)
  local at = string.find(uri, '@', 1, true) or 0
  local query = string.find(uri, '?', at + 1, true)
  if query then uri = string.sub(uri, 1, query - 1) end
  local semi = string.find(uri, ';', at + 1, true)
  if not semi then return string.lower(uri), '' end
  return string.lower(string.sub(uri, 1, semi - 1)), string.sub(uri, semi)
end

-- A URI parameter's value as written; `name` is a Lua pattern ('-' escaped as '%-').
local function param(params, name)
  return string.match(params, ';' .. name .. '=([^;]*)')
end

local function read(value)
  local base, params = uri_parts(value)
  local updated = tonumber(param(params, 'updatedAt') or '')
  local expires = tonumber(param(params, 'expires') or '')
  local expiry = nil
  if updated and expires then expiry = updated + expires end
  return { value = value, base = base, params = params, expiry = expiry, updated = updated or 0 }
end

-- The push identity of a stored contact, as the registrar computes it for a new one (binding-key.ts pushKey).
local function push_key(entry)
  local p = entry.params
  local a, b, c = param(p, 'pn%-provider'), param(p, 'pn%-prid'), param(p, 'pn%-param')
  if a and b and c and a ~= '' and b ~= '' and c ~= '' then return a .. '|' .. b .. '|' .. c end
  a, b, c = param(p, 'pn%-type'), param(p, 'pn%-tok'), param(p, 'app%-id')
  if a and b and c and a ~= '' and b ~= '' and c ~= '' then return 'legacy|' .. a .. '|' .. b .. '|' .. c end
  return ''
end

-- The stored contacts, without the dead ones.
local live = {}
local flat = redis.call('HGETALL', key)
for i = 1, #flat, 2 do
  local entry = read(flat[i + 1])
  if entry.expiry and entry.expiry > now then
    live[flat[i]] = entry
  else
    redis.call('HDEL', key, flat[i])
    redis.call('ZREM', index, member(flat[i]))
  end
end

local function sorted()
  local list = {}
  for field, entry in pairs(live) do list[#list + 1] = { field = field, entry = entry } end
  table.sort(list, function(a, b)
    if a.entry.updated ~= b.entry.updated then return a.entry.updated > b.entry.updated end
    return a.field < b.field
  end)
  return list
end

local function reply(kind, list)
  local out = { kind }
  for _, item in ipairs(list) do
    out[#out + 1] = item.field
    out[#out + 1] = item.entry.value
  end
  return out
end

-- RFC 3261 10.3 steps 6 and 7, for every contact before anything is written: with the stored Call-ID, a lower
-- CSeq fails and the same CSeq is this very REGISTER again (it is answered without a server transaction, so a UDP
-- retransmission reaches us), which gets the current bindings.
local function verdict(entry)
  if param(entry.params, 'callid') ~= call_id then return nil end
  local stored = tonumber(param(entry.params, 'cseq') or '') or 0
  if cseq < stored then return 'stale', stored end
  if cseq == stored then return 'retransmission', stored end
  return nil
end

-- The stored bindings a contact of the REGISTER names: its field, and for a removal without instance every binding
-- registered with the same URI.
local function targets(i)
  local found = {}
  if live[ARGV[i]] then found[#found + 1] = ARGV[i] end
  local base = ARGV[i + 4]
  if base ~= '' then
    for field, entry in pairs(live) do
      if field ~= ARGV[i] and entry.base == base then found[#found + 1] = field end
    end
  end
  return found
end

local again = false
if mode == 'clear' then
  for field, entry in pairs(live) do
    local found, stored = verdict(entry)
    if found == 'stale' then return { 'stale', field, tostring(stored) } end
    if found then again = true end
  end
else
  for i = 7, #ARGV, 5 do
    for _, field in ipairs(targets(i)) do
      local found, stored = verdict(live[field])
      if found == 'stale' then return { 'stale', field, tostring(stored) } end
      if found then again = true end
    end
  end
end
if again then return reply('retransmission', sorted()) end

local changed = {}
local order = {}
local function change(field)
  if not changed[field] then
    changed[field] = true
    order[#order + 1] = field
  end
end

if mode == 'clear' then
  for field in pairs(live) do change(field) end
  live = {}
  redis.call('DEL', key)
else
  for i = 7, #ARGV, 5 do
    local field, value, expires, push = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
    if expires > 0 then
      -- Another binding with the same push identity is the same app reinstalled (Flexisip erases it too).
      if push ~= '' then
        for other, entry in pairs(live) do
          if other ~= field and push_key(entry) == push then
            live[other] = nil
            redis.call('HDEL', key, other)
            change(other)
          end
        end
      end
      live[field] = read(value)
      redis.call('HSET', key, field, value)
      change(field)
    else
      for _, target in ipairs(targets(i)) do
        live[target] = nil
        redis.call('HDEL', key, target)
        change(target)
      end
    end
  end
end

-- Over the limit: the least recently updated contacts go (Flexisip's max-contacts-by-aor).
local list = sorted()
while #list > max_contacts do
  local evicted = table.remove(list)
  live[evicted.field] = nil
  redis.call('HDEL', key, evicted.field)
  change(evicted.field)
end

local latest = 0
for _, item in ipairs(list) do latest = math.max(latest, item.entry.expiry or 0) end
if #list == 0 then
  redis.call('DEL', key)
else
  redis.call('EXPIREAT', key, latest)
end
for _, field in ipairs(order) do
  local entry = live[field]
  if entry and entry.expiry then
    redis.call('ZADD', index, entry.expiry, member(field))
  else
    redis.call('ZREM', index, member(field))
  end
end
for _, field in ipairs(order) do redis.call('PUBLISH', channel, field) end
return reply('ok', list)
