// DeviceContextTests: a login through HAProxy records the client's own address (from X-Forwarded-For, which only
// HAProxy is trusted to write), its device and the remember-me lifetime.

import Foundation
import Testing

@Suite("Device context through HAProxy", .topology())
struct DeviceContextTests {
    /// Logs in through HAProxy from 127.0.0.2 (HAProxy and the instances see 127.0.0.1 as themselves; any loopback
    /// address reaches them), claiming to be 203.0.113.9 in a forged X-Forwarded-For, then lists the sessions.
    /// Python's client can choose its source address; the password goes through standard input, never argv.
    static let script = #"""
        import http.client, json, ssl, sys
        port, password = int(sys.argv[1]), sys.stdin.read()
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=ssl._create_unverified_context(),
                                                 source_address=("127.0.0.2", 0), timeout=10)
        agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        connection.request("GET", "/csrf")
        anonymous = connection.getresponse()
        csrf = json.loads(anonymous.read())["csrfToken"]
        body = json.dumps({"username": "bob", "password": password, "remember": True})
        connection.request("POST", "/login", body, {"Content-Type": "application/json", "User-Agent": agent,
                                                    "X-Forwarded-For": "203.0.113.9", "X-CSRF-Token": csrf,
                                                    "Cookie": anonymous.getheader("Set-Cookie").split(";")[0]})
        login = connection.getresponse()
        login_body = login.read()
        cookie = login.getheader("Set-Cookie")
        connection.request("GET", "/sessions", headers={"Cookie": cookie.split(";")[0]})
        sessions = connection.getresponse()
        print(json.dumps({"loginStatus": login.status, "setCookie": cookie,
                          "sessions": json.loads(sessions.read())["sessions"]}))
        """#

    @Test("the recorded address is the client's (127.0.0.2), not HAProxy's nor the forged one; Max-Age is 720 h")
    func loginThroughHAProxy() async throws {
        let topology = try Topology.required()
        let port = try #require(topology.url.split(separator: ":").last.map(String.init))
        let output = try await Self.python(arguments: ["-c", Self.script, port], input: Topology.password)
        let parsed = try? JSONSerialization.jsonObject(with: Data(output.utf8))
        let result = try #require(parsed as? [String: Any], "\(output)")
        #expect(result["loginStatus"] as? Int == 200, "\(output)")
        let cookie = try #require(result["setCookie"] as? String)
        #expect(cookie.contains("Max-Age=2591999") || cookie.contains("Max-Age=2592000"), "remember me: 720 h, \(cookie)")
        let sessions = try #require(result["sessions"] as? [[String: Any]])
        let current = try #require(sessions.first { $0["current"] as? Bool == true }, "\(sessions)")
        #expect(current["ip"] as? String == "127.0.0.2", "\(current)")
        #expect(current["device"] as? String == "Firefox on Linux")
        #expect(current["method"] as? String == "password")
        #expect((current["userAgent"] as? String)?.hasSuffix("Firefox/128.0") == true)
        #expect(current["authenticatedAt"] is String)
    }

    /// Runs `python3` with `arguments`, writing `input` to its standard input; returns its standard output.
    static func python(arguments: [String], input: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        // The output is a few hundred bytes: it fits the pipe's buffer, so the process could exit before it is read,
        // and reading it now returns at once.
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return output.isEmpty ? "python3 failed: \(errors)" : output
    }
}
