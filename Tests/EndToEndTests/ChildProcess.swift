// ChildProcess: a helper process of the topology (session-server, HAProxy, openssl) with its log file and a sure stop.

import Foundation
import Glibc
import EmbeddedRedis

/// A child process whose standard output and error go to a log file, stopped with SIGTERM and then SIGKILL.
///
/// ```swift
/// let haproxy = try ChildProcess.launch(name: "haproxy", executable: "/usr/sbin/haproxy",
///                                       arguments: ["-db", "-f", "deploy/haproxy.cfg"], logDirectory: dir)
/// defer { await haproxy.stop() }   // in an async cleanup
/// ```
final class ChildProcess: Sendable {
    /// A short name for messages (`app1`, `haproxy`).
    let name: String
    /// The executable's path.
    let executable: String
    /// Where its output goes.
    let logPath: String
    private let process: Process

    private init(name: String, executable: String, logPath: String, process: Process) {
        self.name = name
        self.executable = executable
        self.logPath = logPath
        self.process = process
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Starts `executable` with `arguments`; its output goes to `<logDirectory>/<name>.log`.
    /// - Parameters:
    ///   - environment: the child's whole environment (`nil`: this process's).
    ///   - workingDirectory: its current directory (`nil`: this process's).
    /// - Throws: when the executable cannot be started.
    static func launch(
        name: String, executable: String, arguments: [String], environment: [String: String]? = nil,
        workingDirectory: String? = nil, logDirectory: String
    ) throws -> ChildProcess {
        let logPath = "\(logDirectory)/\(name).log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw TopologyError("cannot create the log file \(logPath)")
        }
        defer { try? log.close() }  // the child keeps its own descriptor
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do {
            try ChildProcesses.run(process)
        } catch {
            throw TopologyError("cannot start \(name) (\(executable)): \(error)")
        }
        return ChildProcess(name: name, executable: executable, logPath: logPath, process: process)
    }

    /// The process ID.
    var pid: Int32 { process.processIdentifier }

    /// Whether the process still runs (has not been reaped).
    var isRunning: Bool { process.isRunning }

    /// The exit status once it has ended.
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Waits (without blocking a thread) until the process has exited; `false` when it still runs after `timeout`.
    func waitForExit(timeout: Duration) async -> Bool {
        await ChildProcesses.waitForExit(process, timeout: timeout, interval: .milliseconds(20))
    }

    /// Stops the process: SIGTERM, then SIGKILL when it still runs after `grace`. Returns once it has been reaped.
    func stop(grace: Duration = .seconds(2)) async {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGTERM)
        if await waitForExit(timeout: grace) { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(timeout: .seconds(5))
    }

    /// The last `count` lines of the log.
    func logTail(_ count: Int = 6) -> String {
        Self.tail(of: logPath, count: count)
    }

    /// The last `count` lines of a text file, each cut at 300 characters ("" when it cannot be read).
    static func tail(of path: String, count: Int) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).map { $0.prefix(300) }.joined(separator: "\n")
    }
}

/// A failure of the end-to-end machinery (start-up, waits), with the context needed to understand it.
struct TopologyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
