// Watchdog: a tiny `sh` child that SIGKILLs the topology's processes if this test process dies without cleaning up.

import Foundation
import Glibc
import EmbeddedRedis

/// Kills the registered processes when this test process dies abruptly (a crash, SIGKILL, SIGPIPE from another
/// test…), so that no redis-server, HAProxy or session-server outlives the run even then.
///
/// It is `sh` reading `+PID NAME` / `-PID` lines from a pipe whose only write end is ours: the kernel closes that
/// end when this process dies, `read` sees end-of-file, and the script kills every PID still registered whose
/// `/proc/PID/comm` is still NAME. On a normal teardown it is dismissed first (SIGKILL), so it can never kill a
/// PID reused after our own clean stop.
final class Watchdog: Sendable {
    private static let script = """
        pids=" "
        while read -r line; do
          case $line in
            +*) pids="$pids${line#+} ";;
            -*) pids=$(printf '%s' "$pids" | sed "s/ ${line#-} [^ ]* / /");;
          esac
        done
        set -- $pids
        while [ $# -ge 2 ]; do
          [ "$(cat /proc/$1/comm 2>/dev/null)" = "$2" ] && kill -KILL "$1" 2>/dev/null
          shift 2
        done
        exit 0
        """

    private let process: Process
    private let input: FileHandle
    private let lock = NSLock()

    private init(process: Process, input: FileHandle) {
        self.process = process
        self.input = input
    }

    /// Starts the watchdog.
    /// - Throws: when `sh` cannot be started.
    static func start() throws -> Watchdog {
        let pipe = Pipe()
        // Only this process may hold the write end: children started later must not inherit it.
        _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return Watchdog(process: process, input: pipe.fileHandleForWriting)
    }

    /// Registers a process to kill if this test process dies; `name` must be its `/proc/PID/comm`.
    func watch(pid: Int32, name: String) { send("+\(pid) \(String(name.prefix(15)))\n") }

    /// Forgets a process (it was stopped and reaped: its PID may be reused).
    func forget(pid: Int32) { send("-\(pid)\n") }

    /// Ends the watchdog without it killing anything; call it before stopping the processes yourself.
    func dismiss() async {
        lock.withLock {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        }
        _ = await ChildProcesses.waitForExit(process, timeout: .seconds(10))
        try? input.close()
    }

    private func send(_ line: String) {
        lock.withLock {
            guard process.isRunning else { return }
            try? input.write(contentsOf: Data(line.utf8))
        }
    }
}
