// ConfigurationTests: insecure cookie settings need the explicit opt-in; the hardened Vapor cookie.

import SessionStore
import Testing
import Vapor
import VaporSessions

@Suite struct ConfigurationTests {
    @Test func insecureSettingsNeedTheOptIn() throws {
        var noSecure = VaporSessionsConfiguration()
        noSecure.secure = false
        #expect(throws: SessionStoreError.self) { try noSecure.validate() }
        var plainName = VaporSessionsConfiguration()
        plainName.cookieName = "sid"
        #expect(throws: SessionStoreError.self) { try plainName.validate() }
        var badName = VaporSessionsConfiguration()
        badName.cookieName = "__Host-s;id"
        #expect(throws: SessionStoreError.self) { try badName.validate() }
        #expect(throws: SessionStoreError.self) { try VaporSessionsMiddleware(store: try MemorySessionStore(), configuration: noSecure) }
        try VaporSessionsConfiguration.insecureLocal().validate()
        try VaporSessionsConfiguration().validate()
    }

    @Test func theHardenedVaporCookie() {
        let configuration = SessionsConfiguration.hardened(maxAge: 60)
        #expect(configuration.cookieName == "__Host-vapor-session")
        let cookie = configuration.cookieFactory(SessionID(string: "abc")).serialize(name: configuration.cookieName)
        #expect(cookie == "__Host-vapor-session=abc; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax")
    }
}
