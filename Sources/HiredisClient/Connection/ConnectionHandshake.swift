// ConnectionHandshake: the commands that prepare a new connection (AUTH, SELECT, CLIENT SETNAME) and their checks.

/// Prepares a freshly opened connection in one round trip, within what is left of the connect timeout.
///
/// Over TLS, or when nothing else is to be sent, a `PING` goes along, so that a connection is only handed out once
/// the server has really answered (a TLS failure or plain TCP on a TLS port shows up here, not on a caller's
/// first command).
struct ConnectionHandshake {
    let configuration: RedisConnectionConfiguration

    /// The commands to send, each with what to call it in an error.
    var commands: [(command: RedisCommand, what: String)] {
        var commands: [(RedisCommand, String)] = []
        if let authentication = configuration.authentication {
            if let user = authentication.username {
                commands.append((RedisCommand("AUTH", user, authentication.password), "AUTH as user '\(user)'"))
            } else {
                commands.append((RedisCommand("AUTH", authentication.password), "AUTH"))
            }
        }
        if configuration.database != 0 {
            commands.append((RedisCommand("SELECT", configuration.database), "SELECT \(configuration.database)"))
        }
        if let name = configuration.clientName {
            commands.append((RedisCommand("CLIENT", "SETNAME", name), "CLIENT SETNAME"))
        }
        if commands.isEmpty || configuration.tls != nil {
            commands.append((RedisCommand("PING"), "PING"))
        }
        return commands
    }

    /// Sends the commands on `connection` and checks every reply.
    func run(on connection: RedisConnection, deadline: ContinuousClock.Instant) async throws(RedisError) {
        let commands = self.commands
        let left = deadline - .now
        guard left > .zero else {
            throw RedisError(.connectTimeout, "the connect timeout ran out before the handshake")
        }
        let replies: [RedisReply]
        do {
            replies = try await connection.submitBatch(commands.map(\.command), timeout: left)
        } catch let error as RedisError {
            switch error.code {
            case .commandTimeout where configuration.tls != nil && !connection.mailbox.tlsEstablished.load(ordering: .relaxed):
                throw RedisError(.tls, "the TLS handshake did not complete within \(configuration.timeouts.connect): "
                    + "is the port a TLS port?")
            case .commandTimeout:
                throw RedisError(.connectTimeout, "the server did not answer the handshake within \(configuration.timeouts.connect)")
            case .tls:
                throw error
            case .io where configuration.tls == nil:
                throw RedisError(.connectFailed, "the handshake failed: \(error.message) (a TLS port needs a rediss:// URL)")
            default:
                throw RedisError(.connectFailed, "the handshake failed: \(error.message)")
            }
        } catch {
            throw RedisError(.connectFailed, "the handshake was cancelled")
        }
        for ((_, what), reply) in zip(commands, replies) {
            guard case .error(let error) = reply else { continue }
            if what.hasPrefix("AUTH") || error.code == "NOAUTH" || error.code == "WRONGPASS" {
                throw RedisError(.authenticationFailed, "\(what) was refused: \(error.message)", serverError: error)
            }
            throw RedisError(.connectFailed, "\(what) was refused: \(error.message)", serverError: error)
        }
    }
}
