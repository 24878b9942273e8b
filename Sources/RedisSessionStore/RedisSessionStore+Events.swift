// RedisSessionStore+Events: the lifecycle events the scripts' replies reveal (evictions, expiry, ended sessions).

import HiredisClient
import SessionStore

extension RedisSessionStore {
    /// Where this store reports lifecycle events (``SessionConfiguration/events``).
    public var events: SessionEvents { configuration.events }

    /// Reports the sessions a create's per-user limit evicted (the create reply's fifth element).
    func reportEvictions(_ reply: [RedisReply], user: String?) {
        guard reply.count > 4, let ids = reply[4].array, !ids.isEmpty else { return }
        for id in ids { events.session(.destroyed(.limitEviction), id: id.string ?? "", user: user) }
    }

    /// Reports the sessions a `destroyMany` reply lists as ended; returns how many.
    func reportEnded(_ reply: [RedisReply], user: String, reason: SessionEvent.DestructionReason) -> Int {
        for id in reply { events.session(.destroyed(reason), id: id.string ?? "", user: user) }
        return reply.count
    }
}
