// TokenScripts: the Lua scripts of refresh-token families: issue, rotate with reuse detection, revoke, list.

import HiredisClient

/// The token-family scripts. Like the session scripts, each touches the keys of one hash slot (the user's tag),
/// reads the time from Redis and leaves a TTL on every key it writes; the revocation log is a key of its own slot
/// and has its own script.
///
/// A family is a hash: `u` user, `c` created ms, `x` absolute expiry ms, `i` idle ms, `ix` its user's index key,
/// `r` the current refresh id, `p` the id spent last, `w` when it was spent, `s` the successor sealed for the grace,
/// `k` the ids of the family's refresh keys (the newest ``RedisTokenFamilyStore/keptRefreshIDs``), and `rv` once it
/// is being revoked. A refresh key `r:<id>` holds its family id, spent or not, so that a spent token is recognised as
/// reuse.
///
/// **Revocation is three steps**, so that none is lost: a script marks the families (`rv`: no refresh works any
/// more, and they leave the listing), the revocation log records them (a key of its own slot), and a last script
/// ends them. A failure between two steps leaves them marked, and the same operation repeated, or any presentation
/// of one of their refresh tokens, finds them marked and records them again.
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
        -- The families of a user's index that still exist (the entries of ended ones are pruned), oldest first, each
        -- as {id, {user, the fields asked for…}}.
        local function indexed(index, prefix, ...)
          local found = {}
          for _, m in ipairs(redis.call('ZRANGE', index, 0, -1)) do
            local f = redis.call('HMGET', prefix .. 'f:' .. m, 'u', ...)
            if f[1] then found[#found + 1] = {m, f} else redis.call('ZREM', index, m) end
          end
          return found
        end

        """

    private static func script(_ body: String) -> RedisScript { RedisScript(prelude + body) }

    /// Starts a family. KEYS[1] user index. ARGV: slot prefix, family id, refresh id, user, absolute ms, idle ms,
    /// max families. Replies `{now, expiry, evicted family ids…}`: the oldest families beyond the limit, marked as
    /// being revoked and out of the index (the caller records and ends them).
    static let issue = script("""
        local now = now_ms()
        local prefix, fam, rid, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local abs, idle, max = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
        local reply = {now, now + abs}
        local live = {}
        for _, family in ipairs(indexed(KEYS[1], prefix, 'rv')) do
          if not family[2][2] then live[#live + 1] = family[1] end
        end
        for i = 1, #live - max + 1 do
          redis.call('HSET', prefix .. 'f:' .. live[i], 'rv', '1')
          redis.call('ZREM', KEYS[1], live[i])
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
    /// (within the grace); `reuse` marked the family as being revoked (a spent token after its grace, or any token of
    /// a family already marked: the caller records and ends it).
    static let refresh = script("""
        local now = now_ms()
        local prefix, id = ARGV[1], ARGV[2]
        local fam = redis.call('GET', KEYS[1])
        if not fam then return {'none'} end
        local fkey = prefix .. 'f:' .. fam
        local f = redis.call('HMGET', fkey, 'u', 'c', 'x', 'i', 'r', 'p', 'w', 's', 'k', 'rv')
        if not f[1] then
          redis.call('DEL', KEYS[1])
          return {'none'}
        end
        local x, idle = tonumber(f[3]), tonumber(f[4])
        if f[10] then return {'reuse', fam, f[1], f[2], f[3]} end
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
        redis.call('HSET', fkey, 'rv', '1')
        return {'reuse', fam, f[1], f[2], f[3]}
        """)

    /// Marks the family of a refresh token as being revoked. KEYS[1] its refresh key. ARGV: slot prefix.
    /// Replies `{family, user, created, expiry}`, or `{}` when the token designates no family.
    static let markByToken = script("""
        local fam = redis.call('GET', KEYS[1])
        if not fam then return {} end
        local fkey = ARGV[1] .. 'f:' .. fam
        local f = redis.call('HMGET', fkey, 'u', 'c', 'x')
        if not f[1] then
          redis.call('DEL', KEYS[1])
          return {}
        end
        redis.call('HSET', fkey, 'rv', '1')
        return {fam, f[1], f[2], f[3]}
        """)

    /// Marks families of a user as being revoked. KEYS[1] user index. ARGV: slot prefix, user, family ids.
    /// Replies the ids of those the user has.
    static let markFamilies = script("""
        local marked = {}
        for i = 3, #ARGV do
          local fkey = ARGV[1] .. 'f:' .. ARGV[i]
          if redis.call('HGET', fkey, 'u') == ARGV[2] then
            redis.call('HSET', fkey, 'rv', '1')
            marked[#marked + 1] = ARGV[i]
          end
        end
        return marked
        """)

    /// Marks every family of a user as being revoked. KEYS[1] user index. ARGV: slot prefix. Replies their ids.
    static let markAll = script("""
        local marked = {}
        for _, family in ipairs(indexed(KEYS[1], ARGV[1])) do
          redis.call('HSET', ARGV[1] .. 'f:' .. family[1], 'rv', '1')
          marked[#marked + 1] = family[1]
        end
        return marked
        """)

    /// Ends families (already recorded in the revocation log): deletes them, their refresh keys and their index
    /// entries. KEYS: the families' keys (one slot). ARGV: slot prefix, family ids. Replies how many existed.
    static let end = script("""
        local ended = 0
        for i = 2, #ARGV do ended = ended + end_family(ARGV[1], ARGV[i]) end
        return ended
        """)

    /// The live families of a user, oldest first. KEYS[1] user index. ARGV: slot prefix.
    /// Replies `{id, created, expiry, …}`; prunes index entries of ended families.
    static let families = script("""
        local reply = {}
        for _, family in ipairs(indexed(KEYS[1], ARGV[1], 'c', 'x', 'rv')) do
          local f = family[2]
          if not f[4] then  -- one being revoked is not listed
            reply[#reply + 1] = family[1]
            reply[#reply + 1] = f[2]
            reply[#reply + 1] = f[3]
          end
        end
        return reply
        """)

    /// Records revoked families in the revocation log and announces them. KEYS[1] the log: a stream of entries
    /// `f` (comma-separated family ids), trimmed to the horizon. ARGV: horizon ms, channel, family ids.
    /// Replies the entry's id.
    static let recordRevocations = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local horizon = tonumber(ARGV[1])
        local fams = {}
        for i = 3, #ARGV do fams[#fams + 1] = ARGV[i] end
        local joined = table.concat(fams, ',')
        local id = redis.call('XADD', KEYS[1], 'MINID', '~', now - horizon, '*', 'f', joined)
        redis.call('PEXPIRE', KEYS[1], horizon)
        redis.call('PUBLISH', ARGV[2], joined)
        return id
        """)
}
