// ServerTracing: bootstraps swift-otel's tracer with the OTLP/HTTP exporter when span export is on, and nothing else.

import Logging
import ServiceLifecycle
import Tracing
#if OTLPExport
import OTel
#endif

/// The tracer the server bootstrapped and the service that exports its spans (run it in the service group).
struct ServerTracing {
    let tracer: any Tracer
    let service: any Service

    /// Bootstraps the process's tracer (swift-otel: OTLP/HTTP exporter, batch span processor, W3C trace-context
    /// propagation) when `options` turn export on; returns `nil`, bootstrapping nothing, otherwise. Call it once, before
    /// the store and the Redis client are built (they take the tracer bootstrapped then).
    /// - Parameters:
    ///   - options: the resolved settings.
    ///   - instanceID: the `service.instance.id` resource attribute.
    ///   - logger: receives the exporter's own warnings and errors.
    /// - Returns: `nil` when export is off, or when this build has no exporter (see the `OTLPExport` trait): then it
    ///   logs why.
    static func bootstrap(_ options: TracingOptions, instanceID: String, logger: Logger) throws -> ServerTracing? {
        guard options.exports else { return nil }
        #if OTLPExport
        var configuration = OTel.Configuration.default
        configuration.serviceName = "session-server"
        configuration.resourceAttributes["service.instance.id"] = instanceID
        configuration.logs.enabled = false  // logs go to swift-log's handler, metrics to Prometheus
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        let service = try OTel.bootstrap(configuration: configuration, environment: options.environment)
        return ServerTracing(tracer: InstrumentationSystem.tracer, service: service)
        #else
        logger.warning("an OTLP endpoint is configured, but this session-server was built without the OTLPExport trait: no span is exported")
        return nil
        #endif
    }

    /// What the start-up log says about tracing (the endpoint with any password masked; never the OTLP headers).
    static func startupNote(_ tracing: ServerTracing?, _ options: TracingOptions) -> String {
        guard let endpoint = options.endpoint else { return "tracing: off (no OTLP endpoint configured)" }
        guard tracing != nil else { return "tracing: off (built without the OTLPExport trait)" }
        return "tracing: spans exported over OTLP/HTTP to \(endpoint)"
    }
}
