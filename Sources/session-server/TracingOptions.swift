// TracingOptions: whether session-server exports spans (an OTLP endpoint configured), from options and environment.

import ArgumentParser
import Foundation

/// Span export, resolved: on when `--otlp-endpoint` / `SESSION_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_ENDPOINT` names an endpoint (unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`);
/// off otherwise.
struct TracingOptions: Sendable {
    /// The environment swift-otel reads its `OTEL_*` settings from, with the option's endpoint applied (the option wins
    /// over both standard variables, as every option of the server wins over the environment).
    var environment: [String: String]
    /// Where spans go (for the start-up log: credentials in the URL are masked), `nil` when export is off.
    var endpoint: String?

    /// Export is on.
    var exports: Bool { endpoint != nil }

    /// Resolves the settings.
    /// - Parameters:
    ///   - option: `--otlp-endpoint`, else `SESSION_OTLP_ENDPOINT`: a base URL like `OTEL_EXPORTER_OTLP_ENDPOINT`
    ///     (spans go to its `/v1/traces`).
    ///   - environment: the process environment.
    /// - Throws: `ValidationError` for an endpoint that is not an http(s) URL, or a protocol this build cannot speak.
    init(option: String?, environment: [String: String]) throws {
        var environment = environment
        if let option {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = option
            environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = nil
        }
        self.environment = environment
        func env(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let disabled = ["1", "true"].contains(env("OTEL_SDK_DISABLED")?.lowercased() ?? "") || env("OTEL_TRACES_EXPORTER") == "none"
        let traces = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").map { ($0, false) } ?? env("OTEL_EXPORTER_OTLP_ENDPOINT").map { ($0, true) }
        guard !disabled, let (url, isBase) = traces else {
            endpoint = nil
            return
        }
        guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
              components.host?.isEmpty == false
        else {
            throw ValidationError("the OTLP endpoint must be an http:// or https:// URL: \(Self.masked(url))")
        }
        let proto = env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? env("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf"
        guard proto == "http/protobuf" || proto == "http/json" else {
            throw ValidationError("OTLP protocol \(proto) is not built in: spans are exported over OTLP/HTTP (http/protobuf or http/json)")
        }
        let masked = Self.masked(url)
        endpoint = isBase ? (masked.hasSuffix("/") ? masked + "v1/traces" : masked + "/v1/traces") : masked
    }

    /// The URL with any password masked.
    static func masked(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
