// RedisCommandLine: runs redis-cli (cluster creation, quick queries) as a child process, without blocking a thread.

import Foundation

/// Runs `redis-cli`: what the cluster and Sentinel helpers use to build and inspect a deployment.
public enum RedisCommandLine {
    /// Runs `redis-cli` with `arguments` and returns what it printed.
    /// - Parameters:
    ///   - arguments: its arguments, such as `["-p", "7000", "CLUSTER", "INFO"]`.
    ///   - timeout: how long it may run.
    /// - Throws: ``RedisServerProcess/StartError`` when `redis-cli` is missing, runs past `timeout` or exits non-zero.
    @discardableResult
    public static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> String {
        guard let executable = RedisServerProcess.executablePath(named: "redis-cli") else {
            throw RedisServerProcess.StartError(description: "redis-cli is not installed: run `apt-get install -y redis-tools`")
        }
        // Output goes to a file, not a pipe: a pipe that nobody drains would stall a talkative child.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("redis-cli-\(UUID().uuidString.prefix(8)).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try ChildProcesses.run(process)
        guard await ChildProcesses.waitForExit(process, timeout: timeout) else {
            process.terminate()
            throw RedisServerProcess.StartError(description: "redis-cli \(arguments.prefix(3).joined(separator: " ")) ran past \(timeout)")
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw RedisServerProcess.StartError(
                description: "redis-cli \(arguments.prefix(3).joined(separator: " ")) failed: \(text.suffix(400))")
        }
        return text
    }

    /// Polls `condition` every 50 ms until it holds; throws `failure` after `timeout`.
    static func wait(
        timeout: Duration, _ failure: @autoclosure () -> String, until condition: () async -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while await !condition() {
            guard ContinuousClock.now < deadline else { throw RedisServerProcess.StartError(description: failure()) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

extension Duration {
    /// Whole milliseconds, for Redis options given in milliseconds.
    var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
