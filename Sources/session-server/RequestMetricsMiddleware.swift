// RequestMetricsMiddleware: counts requests by route and status, and times them, through swift-metrics.

import Dispatch
import Hummingbird
import Metrics
import Synchronization

/// Records `http_requests_total{route,method,status}` and `http_request_duration_seconds{route}`.
///
/// The route is the matched endpoint pattern (`/prefs/{key}`), never the raw path, so labels stay bounded.
/// The metric objects are made once per label set and reused, so a request costs one dictionary look-up.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics

    /// - Parameter factory: where to record; `nil` for the global backend (`MetricsSystem.bootstrap`).
    init(factory: (any MetricsFactory)?) {
        metrics = RequestMetrics(factory: factory)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            record(request, context: context, status: response.status.code, start: start)
            return response
        } catch let error as any HTTPResponseError {
            record(request, context: context, status: error.status.code, start: start)
            throw error
        } catch {
            record(request, context: context, status: 500, start: start)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int, start: UInt64) {
        let route = context.endpointPath ?? "NotFound"
        let (counter, timer) = metrics.instruments(route: route, method: request.method.rawValue, status: status)
        counter.increment()
        timer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- start))
    }
}

/// The request counters and timers, one per label set, made on first use.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private let factory: (any MetricsFactory)?
    private let cache = Mutex<[Key: (Counter, Timer)]>([:])

    init(factory: (any MetricsFactory)?) {
        self.factory = factory
    }

    func instruments(route: String, method: String, status: Int) -> (Counter, Timer) {
        let key = Key(route: route, method: method, status: status)
        if let found = cache.withLock({ $0[key] }) { return found }
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        let made: (Counter, Timer)
        if let factory {
            made = (Counter(label: "http_requests_total", dimensions: dimensions, factory: factory),
                    Timer(label: "http_request_duration_seconds", dimensions: [("route", route)], factory: factory))
        } else {
            made = (Counter(label: "http_requests_total", dimensions: dimensions),
                    Timer(label: "http_request_duration_seconds", dimensions: [("route", route)]))
        }
        return cache.withLock { cache in
            if let existing = cache[key] { return existing }
            cache[key] = made
            return made
        }
    }
}
