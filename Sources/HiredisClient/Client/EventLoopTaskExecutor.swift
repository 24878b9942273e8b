// EventLoopTaskExecutor: runs Swift tasks on a SwiftNIO event loop, so that they share it with their connections.

import NIOCore

/// A `TaskExecutor` that runs jobs on one event loop.
///
/// A task that prefers it (`withTaskExecutorPreference(_:)`, `group.addTask(executorPreference:)`) runs on the loop's
/// thread, and the pool gives it a connection on the same loop when it has one: sending a command and resuming on its
/// reply then cost no thread hop and no wake-up. Work run this way must never block (it holds up the loop's I/O).
///
/// ```swift
/// let executor = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
/// await withTaskExecutorPreference(executor) {
///     _ = try? await redis.send("GET", "greeting")
/// }
/// ```
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the jobs run on.
    public let eventLoop: any EventLoop

    /// Creates an executor for `eventLoop`.
    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs the job on the loop (in this tick's task batch when called from the loop itself).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
