// TokenScripts: the Lua scripts of refresh-token families: issue, rotate with reuse detection, revoke, list.

import HiredisClient

/// The token-family scripts. Like the session scripts, each touches the keys of one hash slot (the user's tag),
/// reads the time from Redis and leaves a TTL on every key it writes; the revocation log is a key of its own slot
/// and has its own script.
///
/// A family is a hash: `u` user, `c` created ms, `x` absolute expiry ms, `i` idle ms, `ix` its user's index key,
/// `r` the current refresh id, `p` the id spent last, `w` when it was spent, `s` the successor sealed for the grace,
/// `k` the ids of the family's refresh keys (the newest ``RedisTokenFamilyStore/keptRefreshIDs``). A refresh key
/// `r:<id>` holds its family id, spent or not, so that a spent token is recognised as reuse.
enum TokenScripts {
    private static let prelude = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        -- Deletes a family and its refresh keys, and removes it from its user's index.
        local function end_family(prefix, fam)
          local fkey = prefix .. 'f:' .. fam
          local f = redis.call('HMGET', fkey, 'k', 'ix')
          if f[1] then
            for id in string.gmatch(f[1], '[^,]+') do redis.call('DEL', prefix .. 'r:' .. id) end
          end
          if f[2] then redis.call('ZREM', f[2], fam) end
          return redis.call('DEL', fkey)
        end

        """

    private static func script(_ body: String) -> RedisScript { RedisScript(prelude + body) }

    /// Starts a family. KEYS[1] user index. ARGV: slot prefix, family id, refresh id, user, absolute ms, idle ms,
    /// max families. Replies `{now, expiry, evicted family ids…}` (the oldest families beyond the limit, ended).
    static let issue = script("""
        local now = now_ms()
        local prefix, fam, rid, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local abs, idle, max = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
        local reply = {now, now + abs}
        local live = {}
        for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          if redis.call('EXISTS', prefix .. 'f:' .. m) == 0 then redis.call('ZREM', KEYS[1], m) else live[#live + 1] = m end
        end
        for i = 1, #live - max + 1 do
          end_family(prefix, live[i])
          reply[#reply + 1] = live[i]
        end
        local fkey = prefix .. 'f:' .. fam
        redis.call('HSET', fkey, 'u', user, 'c', now, 'x', now + abs, 'i', idle, 'ix', KEYS[1], 'r', rid, 'k', rid)
        redis.call('PEXPIRE', fkey, math.min(idle, abs))
        redis.call('SET', prefix .. 'r:' .. rid, fam, 'PX', abs)
        redis.call('ZADD', KEYS[1], now, fam)
        if redis.call('PTTL', KEYS[1]) < abs then redis.call('PEXPIRE', KEYS[1], abs) end
        return reply
        """)

    /// Presents a refresh token. KEYS[1] its refresh key. ARGV: slot prefix, its id, successor id, sealed
    /// successor, grace ms, refresh ids kept. Replies `{'ok'|'grace'|'reuse', family, user, created, expiry[, sealed]}`
    /// or `{'none'}`: `ok` spent it and stored the successor; `grace` returns the successor sealed when it was spent
    /// (within the grace); `reuse` ended the family (a spent token after its grace).
    static let refresh = script("""
        local now = now_ms()
        local prefix, id = ARGV[1], ARGV[2]
        local fam = redis.call('GET', KEYS[1])
        if not fam then return {'none'} end
        local fkey = prefix .. 'f:' .. fam
        local f = redis.call('HMGET', fkey, 'u', 'c', 'x', 'i', 'r', 'p', 'w', 's', 'k')
        if not f[1] then
          redis.call('DEL', KEYS[1])
          return {'none'}
        end
        local x, idle = tonumber(f[3]), tonumber(f[4])
        if x <= now then
          end_family(prefix, fam)
          return {'none'}
        end
        if f[5] == id then
          local succ = ARGV[3]
          local ids = {}
          for kept in string.gmatch(f[9] or '', '[^,]+') do ids[#ids + 1] = kept end
          ids[#ids + 1] = succ
          local keep = tonumber(ARGV[6])
          while #ids > keep do
            redis.call('DEL', prefix .. 'r:' .. table.remove(ids, 1))
          end
          redis.call('HSET', fkey, 'r', succ, 'p', id, 'w', now, 's', ARGV[4], 'k', table.concat(ids, ','))
          redis.call('PEXPIRE', fkey, math.min(idle, x - now))
          redis.call('SET', prefix .. 'r:' .. succ, fam, 'PX', x - now)
          return {'ok', fam, f[1], f[2], f[3]}
        end
        if f[6] == id and now - tonumber(f[7]) <= tonumber(ARGV[5]) then
          return {'grace', fam, f[1], f[2], f[3], f[8]}
        end
        end_family(prefix, fam)
        return {'reuse', fam, f[1], f[2], f[3]}
        """)

    /// Revokes the family of a refresh token. KEYS[1] its refresh key. ARGV: slot prefix.
    /// Replies `{family, user, created, expiry}`, or `{}` when the token designates no live family.
    static let revokeByToken = script("""
        local fam = redis.call('GET', KEYS[1])
        if not fam then return {} end
        local f = redis.call('HMGET', ARGV[1] .. 'f:' .. fam, 'u', 'c', 'x')
        redis.call('DEL', KEYS[1])
        if not f[1] then return {} end
        end_family(ARGV[1], fam)
        return {fam, f[1], f[2], f[3]}
        """)

    /// Revokes one family of a user. KEYS[1] user index. ARGV: slot prefix, family id, user. Replies 1 or 0.
    static let revokeFamily = script("""
        if redis.call('HGET', ARGV[1] .. 'f:' .. ARGV[2], 'u') ~= ARGV[3] then return 0 end
        return end_family(ARGV[1], ARGV[2])
        """)

    /// Revokes every family of a user. KEYS[1] user index. ARGV: slot prefix. Replies the ids of the ended families.
    static let revokeAll = script("""
        local ended = {}
        for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          if end_family(ARGV[1], m) == 1 then ended[#ended + 1] = m end
        end
        redis.call('DEL', KEYS[1])
        return ended
        """)

    /// The live families of a user, oldest first. KEYS[1] user index. ARGV: slot prefix.
    /// Replies `{id, created, expiry, …}`; prunes index entries of ended families.
    static let families = script("""
        local reply = {}
        for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          local f = redis.call('HMGET', ARGV[1] .. 'f:' .. m, 'c', 'x')
          if f[1] then
            reply[#reply + 1] = m
            reply[#reply + 1] = f[1]
            reply[#reply + 1] = f[2]
          else
            redis.call('ZREM', KEYS[1], m)
          end
        end
        return reply
        """)

    /// Records revoked families in the revocation log and announces them. KEYS[1] the log (a sorted set scored by
    /// revocation time). ARGV: horizon ms, channel, family ids. Replies the revocation time.
    static let recordRevocations = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local horizon = tonumber(ARGV[1])
        local fams = {}
        for i = 3, #ARGV do
          redis.call('ZADD', KEYS[1], now, ARGV[i])
          fams[#fams + 1] = ARGV[i]
        end
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - horizon)
        redis.call('PEXPIRE', KEYS[1], horizon)
        redis.call('PUBLISH', ARGV[2], table.concat(fams, ','))
        return now
        """)
}
