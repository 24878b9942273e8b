// TokenOptions: the access-token keys, issuer, audience and lifetimes, and the refresh-token family settings.

import ArgumentParser
import Foundation
import SessionStore
import SessionTokens

/// The token settings, resolved from options, then environment variables, then defaults.
struct TokenOptions {
    /// Signs and verifies access tokens.
    var codec: AccessTokenCodec
    /// `--access-token-ttl`: default 5 minutes.
    var accessTokenLifetime: Duration
    /// Lifetimes, grace and limit of refresh-token families.
    var families: TokenFamilyConfiguration
    /// Browser mode: the refresh token goes in a cookie (`nil`: in the JSON body).
    var refreshCookie: RefreshTokenCookie?

    init(
        _ command: SessionServer, keyring: SessionKeyring, insecureCookies: Bool, env: (String) -> String?, flag: (String) -> Bool,
        duration: (ServerDuration?, String) throws -> Duration?
    ) throws {
        accessTokenLifetime = try duration(command.accessTokenTtl, "SESSION_ACCESS_TOKEN_TTL") ?? .seconds(300)
        guard accessTokenLifetime >= .seconds(1), accessTokenLifetime <= .seconds(24 * 3600) else {
            throw ValidationError("the access-token lifetime must be within 1s...24h")
        }
        var families = TokenFamilyConfiguration()
        if let lifetime = try duration(command.refreshTokenTtl, "SESSION_REFRESH_TOKEN_TTL") { families.absoluteLifetime = lifetime }
        if let grace = try duration(command.refreshGrace, "SESSION_REFRESH_GRACE") { families.grace = grace }
        families.idleLifetime = min(families.idleLifetime, families.absoluteLifetime)
        let configuration = AccessTokenCodec.Configuration(
            issuer: command.tokenIssuer ?? env("SESSION_TOKEN_ISSUER") ?? "session-server",
            audience: command.tokenAudience ?? env("SESSION_TOKEN_AUDIENCE") ?? "session-api"
        )
        families.revocationHorizon = accessTokenLifetime + configuration.leeway
        do { try families.validate() } catch { throw ValidationError("invalid refresh-token settings: \(error.message)") }
        self.families = families

        let keys: JWTKeySet
        if let file = command.jwtSigningKeyFile ?? env("SESSION_JWT_SIGNING_KEY_FILE") {
            keys = try Self.keys(fromPEMFile: file)
        } else {
            keys = JWTKeySet.derived(from: keyring)
        }
        do {
            codec = try AccessTokenCodec(keys: keys, configuration: configuration)
        } catch {
            throw ValidationError("invalid access-token settings: \(error.message)")
        }
        refreshCookie = command.refreshTokenCookie || flag("SESSION_REFRESH_TOKEN_COOKIE") ? RefreshTokenCookie(secure: !insecureCookies) : nil
    }

    /// The keys of a PEM file: the first private key signs, any further ones only verify.
    static func keys(fromPEMFile file: String) throws -> JWTKeySet {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ValidationError("cannot read the signing key file \(file)")
        }
        // Private keys only: `openssl ecparam -genkey` writes an `EC PARAMETERS` block first, and a file may hold
        // public keys or certificates beside the keys.
        let blocks = pemBlocks(text).filter { $0.hasPrefix("-----BEGIN PRIVATE KEY-----") || $0.hasPrefix("-----BEGIN EC PRIVATE KEY-----") }
        guard let first = blocks.first else { throw ValidationError("no PEM private key in \(file)") }
        do throws(AccessTokenError) {
            let signing = try JWTSigningKey(pem: first)
            var others: [JWTSigningKey] = []
            for block in blocks.dropFirst() { others.append(try JWTSigningKey(pem: block)) }
            return try JWTKeySet(signingKey: signing, verificationKeys: others)
        } catch {
            throw ValidationError("invalid signing key in \(file): \(error.message)")
        }
    }

    /// Each `-----BEGIN …-----` … `-----END …-----` block of a PEM file, armour included.
    static func pemBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("-----BEGIN ") { current = [] }
            current?.append(Substring(trimmed))
            if trimmed.hasPrefix("-----END "), let lines = current {
                blocks.append(lines.joined(separator: "\n") + "\n")
                current = nil
            }
        }
        return blocks
    }
}

/// The refresh-token cookie of browser mode: `__Host-rt` with `Secure; HttpOnly; SameSite=Strict; Path=/` (plain
/// `rt` without `Secure` for plain-HTTP local use).
struct RefreshTokenCookie: Sendable {
    let name: String
    let secure: Bool

    init(secure: Bool) {
        self.secure = secure
        self.name = secure ? "__Host-rt" : "rt"
    }

    /// The `Set-Cookie` value that stores `token` for `maxAge` seconds (or clears the cookie with `nil`).
    func setCookie(_ token: String?, maxAge: Int64) -> String {
        let attributes = "; Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
        guard let token else { return "\(name)=\(attributes); Max-Age=0" }
        return "\(name)=\(token)\(attributes); Max-Age=\(maxAge)"
    }
}
