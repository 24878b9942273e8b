// TopologyTrait: a suite trait that starts one topology for the whole suite and always stops it afterwards.

import Testing

/// Starts a ``Topology`` before the suite's first test and stops it after the last one, also when tests fail
/// or throw; tests reach it through ``Topology/required()``.
///
/// ```swift
/// @Suite(.topology(TopologyOptions(idleTimeout: "1500ms")))
/// struct ExpiryTests { @Test func idle() async throws { let topology = try Topology.required() … } }
/// ```
struct TopologyTrait: SuiteTrait, TestScoping {
    let options: TopologyOptions

    /// Once for the suite, not once per test.
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let topology = try await Topology.start(options)
        do {
            try await Topology.$current.withValue(topology) { try await function() }
        } catch {
            await topology.stop()
            throw error
        }
        await topology.stop()
    }
}

extension Trait where Self == TopologyTrait {
    /// A topology of its own for this suite.
    static func topology(_ options: TopologyOptions = TopologyOptions()) -> Self { TopologyTrait(options: options) }
}
