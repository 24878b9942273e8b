// FuzzDriver: runs a fuzz check under libFuzzer (built with -DFUZZING) or replays files through it (normal builds).

import Foundation
import HiredisClient
import Synchronization

/// The check a fuzz target runs on each input; it traps (precondition) when a property does not hold.
public typealias FuzzCheck = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzCheck
) -> CInt

/// Hands the process to libFuzzer (the target's renamed entry point calls this with its arguments).
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ check: FuzzCheck) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, check)
}
#endif

/// Replays every file named on the command line (directories: every file in them) through `check`, for a
/// regression run of a corpus without the fuzzer.
public func replay(_ check: FuzzCheck) {
    var count = 0
    for path in CommandLine.arguments.dropFirst() {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
            : [path]
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            _ = data.withUnsafeBytes { check($0.bindMemory(to: UInt8.self).baseAddress, data.count) }
            count += 1
        }
    }
    print("replayed \(count) inputs")
}

/// The input as bytes.
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// `true` when `text` is exactly 52 base64url characters: the only shape a session token may have (written
/// independently of the parser under test).
public func looksLikeToken(_ text: some StringProtocol) -> Bool {
    text.utf8.count == 52 && text.utf8.allSatisfy { byte in
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}

/// A Redis "connection" that answers nothing and counts what it was asked: a parser must not reach it for
/// malformed input.
public final class RecordingRedis: RedisCommandExecutor {
    private let count = Mutex(0)

    public init() {}

    /// How many commands reached it.
    public var commands: Int { count.withLock { $0 } }

    public func send(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        count.withLock { $0 += 1 }
        return .null
    }

    public func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        count.withLock { $0 += commands.count }
        return commands.map { _ in .null }
    }
}

/// Runs async work to completion from the fuzzer's synchronous callback (a plain thread, not the cooperative pool).
public func blocking<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await work()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}
