// VirtualUser+Verification: the untimed checks after the journeys phase: held sessions and renewed-away tokens.

import Foundation

/// What the untimed checks did and how many of their requests failed.
struct VerificationTally: Sendable {
    var errors = 0
    var firstErrors: [String] = []
    /// Renewed-away tokens probed once their grace was certainly over.
    var renewedAwayProbed = 0
    /// Logged-out tokens probed after the run (the journeys probe their own; this counts those left pending).
    var loggedOutProbed = 0
    /// Sessions still logged in at the end whose user, counter and preferences were checked after their renewal.
    var sessionsVerified = 0

    mutating func failed(_ error: any Error) {
        errors += 1
        if firstErrors.count < 3 { firstErrors.append("\(error)") }
    }

    mutating func add(_ other: VerificationTally) {
        errors += other.errors
        firstErrors += other.firstErrors.prefix(max(0, 3 - firstErrors.count))
        renewedAwayProbed += other.renewedAwayProbed
        loggedOutProbed += other.loggedOutProbed
        sessionsVerified += other.sessionsVerified
    }
}

extension VirtualUser {
    /// Right after the journeys phase: a session still logged in is renewed now if its journey had not renewed it
    /// yet (so every held session has a renewed-away token to probe), and a pending logged-out probe is made.
    mutating func settle(context: HTTPBenchContext) async -> VerificationTally {
        var tally = VerificationTally()
        if loggedIn {
            if renewed == nil {
                do { try await renew(context: context) } catch { tally.failed(error); loggedIn = false }
            }
        } else if pendingStep == .loggedOutProbe {
            do {
                try await probeLoggedOut(context: context)
                tally.loggedOutProbed += 1
            } catch {
                tally.failed(error)
            }
        }
        return tally
    }

    /// The latest moment a renewal of this user's could still be within its grace.
    func graceOver(grace: Duration) -> ContinuousClock.Instant? {
        (retired + (renewed.map { [$0] } ?? [])).map(\.receivedAt).max().map { $0 + grace + HTTPBenchContext.graceMargin }
    }

    /// Once every grace is over: the held session (if any) must still be this user's, with its counter and
    /// preferences intact across the renewal; every renewed-away token must now be refused. Then logs out.
    mutating func verifyAfterGrace(context: HTTPBenchContext) async -> VerificationTally {
        var tally = VerificationTally()
        if loggedIn {
            // The successor first: a use of the old token after its grace may be treated as theft by the server.
            do {
                try await checkMe(label: "GET /me (after the run)", context: context)
                try await checkCounter(label: "GET /counter (after the run)", context: context)
                try await checkPrefs(label: "GET /prefs (after the run)", context: context)
                tally.sessionsVerified += 1
            } catch {
                tally.failed(error)
            }
        }
        for old in retired + (renewed.map { [$0] } ?? []) {
            let label = "GET /me (renewed-away token, after the grace)"
            do {
                let reply = try await probe(label, "/me", cookies: old.cookies, context: context)
                switch reply.status {
                case 401: tally.renewedAwayProbed += 1
                case 200:
                    tally.renewedAwayProbed += 1
                    context.checks.violation("user \(index): a renewed-away token still works after the grace")
                default: throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
                }
            } catch {
                tally.failed(error)
            }
        }
        if loggedIn || holdsSlot { await logOutQuietly(context: context) }
        return tally
    }
}
