// CookieJarTests: the http bench's cookie jar: storing, replacing, deleting on Max-Age=0 or a past Expires.

import Foundation
import Testing

@testable import session_bench

@Suite struct CookieJarTests {
    @Test func storesAndSendsCookiesInOrder() {
        var jar = CookieJar()
        #expect(jar.header == nil)
        jar.apply(setCookies: ["__Host-sid=abc; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax", "theme=dark"])
        #expect(jar.header == "__Host-sid=abc; theme=dark")
        #expect(jar.value(of: "__Host-sid") == "abc")
    }

    @Test func laterCookieReplacesEarlierOfTheSameName() {
        var jar = CookieJar()
        jar.apply(setCookie: "sid=old; Path=/")
        jar.apply(setCookie: "sid=new; Path=/")
        #expect(jar.header == "sid=new")
    }

    @Test func maxAgeZeroOrNegativeDeletes() {
        var jar = CookieJar()
        jar.apply(setCookies: ["sid=abc", "other=1"])
        jar.apply(setCookie: "sid=; Max-Age=0; Path=/")
        #expect(jar.header == "other=1")
        jar.apply(setCookie: "other=1; max-age=-5")
        #expect(jar.header == nil)
    }

    @Test func pastExpiresDeletesUnlessMaxAgeSaysOtherwise() {
        var jar = CookieJar()
        jar.apply(setCookie: "a=1")
        jar.apply(setCookie: "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(jar.header == nil)
        jar.apply(setCookie: "b=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60")
        jar.apply(setCookie: "c=3; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
        #expect(jar.header == "b=2; c=3")
    }

    @Test func malformedSetCookieIsIgnored() {
        var jar = CookieJar()
        jar.apply(setCookies: ["novalue", "=anonymous", "  spaced = v ; Path=/"])
        #expect(jar.header == "spaced=v")
    }

    @Test func credentialsParse() {
        #expect(Credentials("alice:pa:ss") == Credentials(username: "alice", password: "pa:ss"))
        #expect(Credentials("alice") == nil && Credentials(":pw") == nil && Credentials("alice:") == nil)
    }
}
