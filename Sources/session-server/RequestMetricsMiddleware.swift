// RequestMetricsMiddleware: counts requests by route and status, and times them, through swift-metrics.

import Dispatch
import Hummingbird
import Metrics

/// Records `http_requests_total{route,method,status}` and `http_request_duration_seconds{route}`.
///
/// The route is the matched endpoint pattern (`/prefs/{key}`), never the raw path, so labels stay bounded.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where to record; `nil` for the global backend (`MetricsSystem.bootstrap`).
    let factory: (any MetricsFactory)?

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
        let dimensions = [("route", route), ("method", request.method.rawValue), ("status", String(status))]
        let elapsed = Int64(DispatchTime.now().uptimeNanoseconds - start)
        if let factory {
            Counter(label: "http_requests_total", dimensions: dimensions, factory: factory).increment()
            Timer(label: "http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
                .recordNanoseconds(elapsed)
        } else {
            Counter(label: "http_requests_total", dimensions: dimensions).increment()
            Timer(label: "http_request_duration_seconds", dimensions: [("route", route)], preferredDisplayUnit: .seconds)
                .recordNanoseconds(elapsed)
        }
    }
}
