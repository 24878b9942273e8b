// InstanceHeaderMiddleware: stamps `X-Instance: <instance-id>` on every response, errors included.

import Hummingbird

/// Adds the `X-Instance` header to every response, so load-balancer tests can tell servers apart.
struct InstanceHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    let instanceID: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[ServerApp.instanceHeader] = instanceID
        return response
    }
}
