// SessionScripts: the Lua scripts that make every session operation one atomic round trip.

import HiredisClient

/// The store's Lua scripts. Each touches only keys of one hash slot (the session's tag), reads the time from
/// Redis (`TIME`), and leaves a TTL on every key it writes.
///
/// A session is a hash: the field named `""` (empty; attribute names are never empty) packs the metadata in
/// 27 bytes, big-endian: created ms (6), last access − created (5), absolute expiry − created (5), idle timeout
/// ms (4), revision (4), attribute bytes (3); `_u` holds the bound user; each attribute is a field of its own
/// name (never starting with `_`). Packing keeps a small session inside one small Redis allocation.
/// A session that a renewal produced also has `_f` (the family its CSRF token is bound to, `"<version>:<id>"`) and
/// `_p` (the comma-separated ids of the renewal tombstones that lead to it, the newest 16), so that ending the
/// session ends them too. A login or re-authentication that records how the user authenticated writes `_a`:
/// `"<ms>\n<remembered 0|1>\n<method>\n<ip>\n<user agent>"` (``AuthenticationContext``), the time being Redis's. A renewed-away token's key becomes a tombstone: `_t` successor id, `_w` rotated at (ms),
/// `_g` grace (ms).
enum SessionScripts {
    private static let prelude = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function unpack_meta(packed)
          if not packed then return nil end
          local c, a, x, i, r, z = struct.unpack('>I6I5I5I4I4I3', packed)
          return {c = c, a = c + a, x = c + x, i = i, r = r, z = z}
        end
        local function pack_meta(m)
          return struct.pack('>I6I5I5I4I4I3', m.c, m.a - m.c, m.x - m.c, m.i, m.r, m.z)
        end
        local function meta(key)
          return unpack_meta(redis.call('HGET', key, ''))
        end
        local function hset_all(key, list)
          for i = 1, #list, 200 do
            redis.call('HSET', key, unpack(list, i, math.min(i + 199, #list)))
          end
        end
        -- Deletes a session and the renewal tombstones of its family (a logout leaves nothing behind).
        local function end_family(prefix, key)
          local p = redis.call('HGET', key, '_p')
          if p then
            for id in string.gmatch(p, '[^,]+') do redis.call('DEL', prefix .. id) end
          end
          return redis.call('DEL', key)
        end
        -- Follows renewals still within their grace (a request that loaded the session before another request
        -- renewed it writes to the successor); returns the live key and its metadata, or nil.
        local function resolve(key, now)
          local prefix = string.match(key, '^(.*}:)')
          for hop = 1, 4 do
            local m = meta(key)
            if m then return key, m end
            local t = redis.call('HMGET', key, '_t', '_w', '_g')
            if not t[1] or now - tonumber(t[2]) > tonumber(t[3]) then return nil end
            key = prefix .. t[1]
          end
          return nil
        end
        -- Sets last access to now and the TTL to min(idle, time to absolute expiry); false when that is over.
        local function refresh(key, m, now)
          local want = math.min(m.i, m.x - now)
          if want <= 0 then redis.call('DEL', key) return false end
          m.a = now
          redis.call('PEXPIRE', key, want)
          return true
        end

        """

    private static func script(_ body: String) -> RedisScript { RedisScript(prelude + body) }

    /// Load with lazy touch, following a renewal within its grace. The hottest script: written without the shared
    /// helpers (each `local function` costs a closure per call). KEYS[1] session.
    /// ARGV: touch threshold (a fraction of the session's own idle timeout), revoke on theft (1/0).
    /// Replies `{'ok', via, packed, fields}`, `{'none'}`, `{'expired', id, user or ''}` (found past its expiry, and
    /// deleted), or `{'theft'[, user, revoked head id]}` (the caller removes the revoked head from its user's index).
    static let load = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local key = KEYS[1]
        local via = ''
        local f, packed
        for hop = 1, 5 do
          f = redis.call('HGETALL', key)
          local succ, at, grace
          for i = 1, #f, 2 do
            local n = f[i]
            if n == '' then packed = f[i + 1] break end
            if n == '_t' then succ = f[i + 1] elseif n == '_w' then at = f[i + 1] elseif n == '_g' then grace = f[i + 1] end
          end
          if packed or not succ or hop == 5 then break end
          local prefix = string.match(key, '^(.*}:)')
          if now - tonumber(at) > tonumber(grace) then
            -- Used after its grace: follow the family to its live head. A family that ended (logout, eviction) is
            -- simply no session; else it is reported, and with revocation on, the whole family ends.
            local head, user, preds
            local k = prefix .. succ
            for h = 1, 16 do
              local r = redis.call('HMGET', k, '', '_t', '_u', '_p')
              if r[1] then head, user, preds = k, r[3], r[4] break end
              if not r[2] then break end
              k = prefix .. r[2]
            end
            if not head then redis.call('DEL', key) return {'none'} end
            if ARGV[2] ~= '1' then return {'theft'} end
            if preds then
              for id in string.gmatch(preds, '[^,]+') do redis.call('DEL', prefix .. id) end
            end
            redis.call('DEL', head, key)
            return {'theft', user or '', string.sub(head, #prefix + 1)}
          end
          via = succ
          key = prefix .. succ
        end
        if not packed then return {'none'} end
        local c, a, x, i, r, z = struct.unpack('>I6I5I5I4I4I3', packed)
        a = c + a
        x = c + x
        local want = math.min(i, x - now)
        if want <= 0 then
          local u = redis.call('HGET', key, '_u')
          redis.call('DEL', key)
          return {'expired', string.sub(key, #string.match(key, '^(.*}:)') + 1), u or ''}
        end
        -- The TTL drift since the last refresh, computed from the metadata (no PTTL call). Also refresh once when
        -- the absolute expiry is within reach, so that an active session lives exactly until it (the same rule as
        -- SessionInternals.touchDue, which the memory store and the read-only load path use).
        local current = math.min(i, x - a) - (now - a)
        if want - current > math.floor(i * tonumber(ARGV[1])) or (want == x - now and current < want) then
          redis.call('PEXPIRE', key, want)
          packed = struct.pack('>I6I5I5I4I4I3', c, now - c, x - c, i, r, z)
          redis.call('HSET', key, '', packed)
        end
        return {'ok', via, packed, f}
        """)

    /// Enforces the per-user limit inside create (prunes entries of expired sessions first).
    private static let enforceLimit = """
        local function enforce_limit(index, prefix, max, policy, evicted)
          local members = redis.call('ZRANGE', index, 0, -1)
          local live = {}
          for _, m in ipairs(members) do
            if redis.call('EXISTS', prefix .. m) == 0 then redis.call('ZREM', index, m) else live[#live + 1] = m end
          end
          if #live >= max then
            if policy == 'refuse' then return {'limit'} end
            for i = 1, #live - max + 1 do
              end_family(prefix, prefix .. live[i])
              redis.call('ZREM', index, live[i])
              evicted[#evicted + 1] = live[i]
            end
          end
          return nil
        end

        """

    /// Create (also the first half of a login that moves a session to its user's slot).
    /// KEYS[1] session, KEYS[2] user index (when bound). ARGV: id, idle ms, absolute ms, user or '',
    /// max per user, policy, slot prefix, created override or '', absolute expiry override or '', revision,
    /// attribute bytes, authentication to record now (`_a` without its time) or '', a recorded `_a` to keep or '',
    /// then attribute name/value pairs. Replies `{'ok', now, created, absolute expiry, ids evicted by the limit}`,
    /// `{'limit'}`, `{'collision'}` or `{'none'}`.
    static let create = script(enforceLimit + """
        local now = now_ms()
        if redis.call('EXISTS', KEYS[1]) == 1 then return {'collision'} end
        local m = {c = now, a = now, x = now + tonumber(ARGV[3]), i = tonumber(ARGV[2]), r = tonumber(ARGV[10]), z = tonumber(ARGV[11])}
        if ARGV[8] ~= '' then m.c = tonumber(ARGV[8]) end
        if ARGV[9] ~= '' then m.x = tonumber(ARGV[9]) end
        if math.min(m.i, m.x - now) <= 0 then return {'none'} end
        local evicted = {}
        if #KEYS == 2 then
          local refused = enforce_limit(KEYS[2], ARGV[7], tonumber(ARGV[5]), ARGV[6], evicted)
          if refused then return refused end
        end
        local fields = {'', pack_meta(m)}
        if ARGV[4] ~= '' then fields[3] = '_u' fields[4] = ARGV[4] end
        local auth = ARGV[13]
        if ARGV[12] ~= '' then auth = now .. '\\n' .. ARGV[12] end
        if auth ~= '' then fields[#fields + 1] = '_a' fields[#fields + 1] = auth end
        for i = 14, #ARGV do fields[#fields + 1] = ARGV[i] end
        hset_all(KEYS[1], fields)
        refresh(KEYS[1], m, now)
        if #KEYS == 2 then
          redis.call('ZADD', KEYS[2], m.c, ARGV[1])
          if redis.call('PTTL', KEYS[2]) < m.x - now then redis.call('PEXPIRE', KEYS[2], m.x - now) end
        end
        return {'ok', now, m.c, m.x, evicted}
        """)

    /// Save only the changed attributes (to the successor when the session was renewed within the grace), with an
    /// optional revision check and the size limit.
    /// KEYS[1] session. ARGV: expected revision or '', max bytes, number of sets n, n name/value pairs, names to delete.
    static let save = script("""
        local now = now_ms()
        local key, m = resolve(KEYS[1], now)
        if not key then return {'none'} end
        if ARGV[1] ~= '' and m.r ~= tonumber(ARGV[1]) then return {'conflict', m.r} end
        local size = m.z
        local sets = {}
        local last = 3 + 2 * tonumber(ARGV[3])
        for i = 4, last, 2 do
          local name, value = ARGV[i], ARGV[i + 1]
          local old = redis.call('HSTRLEN', key, name)
          if old > 0 then size = size - #name - old end
          size = size + #name + #value
          sets[#sets + 1] = name
          sets[#sets + 1] = value
        end
        local deletes = {}
        for i = last + 1, #ARGV do
          local old = redis.call('HSTRLEN', key, ARGV[i])
          if old > 0 then
            size = size - #ARGV[i] - old
            deletes[#deletes + 1] = ARGV[i]
          end
        end
        if size > tonumber(ARGV[2]) then return {'toolarge', size} end
        if not refresh(key, m, now) then return {'none'} end
        m.r = m.r + 1
        m.z = size
        sets[#sets + 1] = ''
        sets[#sets + 1] = pack_meta(m)
        hset_all(key, sets)
        for i = 1, #deletes, 200 do redis.call('HDEL', key, unpack(deletes, i, math.min(i + 199, #deletes))) end
        return {'ok', m.r, now}
        """)

    /// Atomic increment of an integer attribute, within the size limit (an increment that would pass it is undone
    /// and nothing is written). KEYS[1] session. ARGV: name, delta, max bytes. Replies the new value as text.
    static let increment = script("""
        local now = now_ms()
        local key, m = resolve(KEYS[1], now)
        if not key then return {'none'} end
        if math.min(m.i, m.x - now) <= 0 then redis.call('DEL', key) return {'none'} end
        local old = redis.call('HGET', key, ARGV[1])
        local value = redis.pcall('HINCRBY', key, ARGV[1], ARGV[2])
        if type(value) == 'table' then return {'nan'} end
        value = redis.call('HGET', key, ARGV[1])
        local size = m.z + #ARGV[1] + #value
        if old then size = size - #ARGV[1] - #old end
        if size > tonumber(ARGV[3]) then
          if old then redis.call('HSET', key, ARGV[1], old) else redis.call('HDEL', key, ARGV[1]) end
          return {'toolarge', size}
        end
        m.z = size
        m.r = m.r + 1
        refresh(key, m, now)
        redis.call('HSET', key, '', pack_meta(m))
        return {'ok', value, m.r}
        """)

    /// Refresh the idle expiry. KEYS[1] session.
    static let touch = script("""
        local now = now_ms()
        local key, m = resolve(KEYS[1], now)
        if not key or not refresh(key, m, now) then return {'none'} end
        redis.call('HSET', key, '', pack_meta(m))
        return {'ok', now}
        """)

    /// Rotation within one slot: the successor gets the stored data (every acknowledged write), a higher revision
    /// and the same expiry. A renewal keeps the CSRF family and leaves a tombstone for the grace (and theft
    /// detection); login and privilege changes start a new family and end the old one's tombstones.
    /// KEYS[1] old, KEYS[2] new, KEYS[3] user index (when bound).
    /// ARGV: kind (renewal|privilege), grace ms, theft window ms, new id, old id, user to bind or '', family of a
    /// renewal, idle ms of a session being bound or '', slot prefix, authentication to record now (`_a` without
    /// its time) or '', remember-me lifetime ms (the new absolute lifetime from now and idle timeout) or ''.
    /// Replies `{'ok', revision, now, attributes, recorded authentication or '', absolute expiry, idle}`.
    static let rotate = script("""
        local now = now_ms()
        local m = meta(KEYS[1])
        if not m then
          if redis.call('HEXISTS', KEYS[1], '_t') == 1 then return {'rotated'} end
          return {'none'}
        end
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'collision'} end
        if math.min(m.i, m.x - now) <= 0 then end_family(ARGV[9], KEYS[1]) return {'none'} end
        local renewal = ARGV[1] == 'renewal'
        local fields, attributes = {}, {}
        local user, preds, auth
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          local n = all[i]
          if n == '_u' then user = all[i + 1]
          elseif n == '_p' then preds = all[i + 1]
          elseif n == '_a' then auth = all[i + 1]
          elseif n ~= '' and n ~= '_f' then
            attributes[#attributes + 1] = n
            attributes[#attributes + 1] = all[i + 1]
          end
        end
        if ARGV[6] ~= '' then user = ARGV[6] end
        if ARGV[8] ~= '' then m.i = tonumber(ARGV[8]) end
        if ARGV[11] ~= '' then
          m.x = now + tonumber(ARGV[11])
          m.i = tonumber(ARGV[11])
        end
        if ARGV[10] ~= '' then auth = now .. '\\n' .. ARGV[10] end
        m.r = m.r + 1
        m.a = now
        fields[1] = ''
        fields[2] = pack_meta(m)
        if user then fields[#fields + 1] = '_u' fields[#fields + 1] = user end
        if auth then fields[#fields + 1] = '_a' fields[#fields + 1] = auth end
        if renewal then
          local list = ARGV[5]
          if preds then
            local ids = {}
            for id in string.gmatch(preds, '[^,]+') do ids[#ids + 1] = id end
            ids[#ids + 1] = ARGV[5]
            list = table.concat(ids, ',', math.max(1, #ids - 15))
          end
          fields[#fields + 1] = '_f'
          fields[#fields + 1] = ARGV[7]
          fields[#fields + 1] = '_p'
          fields[#fields + 1] = list
        elseif preds then
          for id in string.gmatch(preds, '[^,]+') do redis.call('DEL', ARGV[9] .. id) end
        end
        for i = 1, #attributes do fields[#fields + 1] = attributes[i] end
        hset_all(KEYS[2], fields)
        redis.call('PEXPIRE', KEYS[2], math.min(m.i, m.x - now))
        redis.call('DEL', KEYS[1])
        if renewal then
          redis.call('HSET', KEYS[1], '_t', ARGV[4], '_w', now, '_g', ARGV[2])
          local keep = math.max(tonumber(ARGV[2]), math.min(tonumber(ARGV[3]), m.x - now))
          redis.call('PEXPIRE', KEYS[1], keep + 1)
        end
        if #KEYS == 3 then
          redis.call('ZREM', KEYS[3], ARGV[5])
          redis.call('ZADD', KEYS[3], m.c, ARGV[4])
          if redis.call('PTTL', KEYS[3]) < m.x - now then redis.call('PEXPIRE', KEYS[3], m.x - now) end
        end
        return {'ok', m.r, now, attributes, auth or '', m.x, m.i}
        """)

    /// Second half of a login that moves the session to another slot: end the old session (and its family's
    /// tombstones) only if it is still at the revision that was copied. KEYS[1] old session, KEYS[2] its user
    /// index (when bound). ARGV: expected revision, old id, slot prefix.
    static let retire = script("""
        local m = meta(KEYS[1])
        if not m then
          if redis.call('HEXISTS', KEYS[1], '_t') == 1 then return {'rotated'} end
          return {'none'}
        end
        if m.r ~= tonumber(ARGV[1]) then return {'conflict'} end
        end_family(ARGV[3], KEYS[1])
        if #KEYS == 2 then redis.call('ZREM', KEYS[2], ARGV[2]) end
        return {'ok'}
        """)

    /// Destroy, with the family's renewal tombstones (following renewals to the live session). KEYS[1] session, KEYS[2] user index (when bound).
    /// ARGV: id, slot prefix.
    static let destroy = script("""
        -- A session value loaded before another request renewed it: the logout ends the renewed session.
        local key = KEYS[1]
        for hop = 1, 16 do
          local successor = redis.call('HGET', key, '_t')
          if not successor then break end
          redis.call('DEL', key)
          key = ARGV[2] .. successor
        end
        local n = end_family(ARGV[2], key)
        if #KEYS == 2 then redis.call('ZREM', KEYS[2], ARGV[1], string.sub(key, #ARGV[2] + 1)) end
        return {'ok', n}
        """)

    /// List a user's live sessions, pruning the index. KEYS[1] index. ARGV: slot prefix.
    /// Replies `{id, created, last access, recorded authentication or '', …}`.
    static let list = script("""
        local out = {}
        for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          local r = redis.call('HMGET', ARGV[1] .. id, '', '_a')
          local m = unpack_meta(r[1])
          if m then
            out[#out + 1] = id
            out[#out + 1] = m.c
            out[#out + 1] = m.a
            out[#out + 1] = r[2] or ''
          else
            redis.call('ZREM', KEYS[1], id)
          end
        end
        return out
        """)

    /// Destroy a user's sessions. KEYS[1] index. ARGV: slot prefix, id to keep or '', handle to match or ''.
    /// Replies the ids of the sessions that were live and ended.
    static let destroyMany = script("""
        local ended = {}
        for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          local match = m ~= ARGV[2]
          if ARGV[3] ~= '' then match = string.sub(redis.sha1hex('handle:' .. m), 1, 20) == ARGV[3] end
          if match then
            if end_family(ARGV[1], ARGV[1] .. m) > 0 then ended[#ended + 1] = m end
            redis.call('ZREM', KEYS[1], m)
          end
        end
        return ended
        """)
}
