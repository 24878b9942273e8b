// Tells ThreadSanitizer about Synchronization.Mutex hand-offs that it cannot see on Linux.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// ThreadSanitizer hooks, found at run time; `nil` (and free) when the process runs without TSan.
///
/// On Linux, `Mutex` hands a contended lock over inside the kernel (a priority-inheritance futex
/// in the uninstrumented stdlib), so TSan sees no happens-before edge between two holders and
/// reports false "Swift access races" on the protected value. Calling `__tsan_acquire` after
/// locking and `__tsan_release` before unlocking, on an address owned by the lock's owner,
/// restores the edge, while races outside the lock are still reported.
package enum ThreadSanitizer {
    typealias Hook = @convention(c) (UnsafeRawPointer?) -> Void

    static let acquireHook: Hook? = lookUp("__tsan_acquire")
    static let releaseHook: Hook? = lookUp("__tsan_release")

    private static func lookUp(_ name: String) -> Hook? {
        #if os(Linux)
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, name) else { return nil }
        return unsafeBitCast(symbol, to: Hook.self)
        #else
        return nil  // Darwin's Mutex is an os_unfair_lock, which TSan intercepts.
        #endif
    }
}

extension Mutex where Value: ~Copyable {
    /// `withLock`, plus the ThreadSanitizer annotations described in ``ThreadSanitizer``.
    ///
    /// - Parameters:
    ///   - owner: The object that owns this mutex; its address names the lock for TSan.
    ///   - body: Runs with exclusive access to the value.
    @inline(__always)
    package borrowing func withLock<Result>(
        annotatedBy owner: AnyObject,
        _ body: (inout sending Value) -> sending Result
    ) -> sending Result {
        let address = UnsafeRawPointer(Unmanaged.passUnretained(owner).toOpaque())
        return withLock { value in
            ThreadSanitizer.acquireHook?(address)
            defer { ThreadSanitizer.releaseHook?(address) }
            return body(&value)
        }
    }
}
