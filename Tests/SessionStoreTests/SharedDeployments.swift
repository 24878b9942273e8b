// SharedDeployments: a suite trait whose tests borrow their Redis deployments from one pool instead of starting their own.

import EmbeddedRedis
import Testing

/// The suite's tests borrow their Redis deployments from one ``RedisDeploymentPool`` (each kind started once,
/// emptied between tests; `RedisDeploymentPool.withDeployment`) instead of each starting its own: the conformance
/// matrix would otherwise build a cluster for every test. The deployments stop when the suite ends.
struct SharedDeployments: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await RedisDeploymentPool.scoped { _ in try await function() }
    }
}

extension Trait where Self == SharedDeployments {
    /// Tests of the suite share started Redis deployments (see ``SharedDeployments``).
    static var sharedDeployments: Self { Self() }
}
