import Accounts
import Billing
import Cache
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OCI

/// Turns every error thrown below it into an OCI error response: the one place where
/// domain errors (`CacheError`, `OCIError`) become wire errors. Internal details are
/// logged with the request id and never sent to the client.
public struct OCIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, logger: context.logger)
        }
    }

    /// The OCI error response for any error.
    static func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case let error as ErrorWithResponseHeaders:
            var response = response(for: error.error, logger: logger)
            response.headers.append(contentsOf: error.headers)
            return response
        case let error as OCIError:
            return errorResponse(error.code, message: error.message)
        case let error as CacheError:
            return response(for: error)
        case let refusal as LimitRefusal:
            switch refusal.reason {
            case .noSubscription:
                return errorResponse(.denied, message: refusal.message)
            case .requestRate, .manifestPulls, .quota, .concurrency:
                var response = errorResponse(.tooManyRequests, message: refusal.message)
                response.headers[.retryAfter] = String(refusal.retryAfter ?? 60)
                return response
            }
        case let error as BillingError:
            logger.error("billing storage error", metadata: ["error": "\(error)"])
            return errorResponse(.unavailable, message: "service temporarily unavailable")
        case let error as BadRequest:
            return errorResponse(error.code, message: error.message, status: .badRequest)
        case let error as TooManyRequests:
            var response = errorResponse(.tooManyRequests, message: error.message)
            response.headers[.retryAfter] = String(error.retryAfter)
            return response
        case let error as AccountsError:
            switch error {
            case .databaseUnavailable, .internalFailure:
                logger.error("account storage error", metadata: ["error": "\(error)"])
                return errorResponse(.unavailable, message: "service temporarily unavailable")
            default:
                return errorResponse(.denied, message: error.description)
            }
        case let error as HTTPError:
            switch error.status {
            case .notFound: return errorResponse(.nameUnknown, message: "not found")
            case .methodNotAllowed: return errorResponse(.unsupported, message: "method not allowed")
            default: return errorResponse(.unavailable, message: error.body ?? "request failed", status: error.status)
            }
        default:
            logger.error("internal error", metadata: ["error": "\(error)"])
            return errorResponse(.unavailable, message: "internal error; the operator can find it in the log by request id", status: .internalServerError)
        }
    }

    private static func response(for error: CacheError) -> Response {
        switch error.kind {
        case .manifestUnknown, .notAcceptable: return errorResponse(.manifestUnknown, message: error.message)
        case .blobUnknown: return errorResponse(.blobUnknown, message: error.message)
        case .nameUnknown: return errorResponse(.nameUnknown, message: error.message)
        case .unavailable, .digestMismatch, .manifestInvalid, .diskFull: return errorResponse(.unavailable, message: error.message)
        case .rateLimited(let retryAfter):
            var response = errorResponse(.tooManyRequests, message: error.message)
            response.headers[.retryAfter] = String(retryAfter ?? 60)
            return response
        case .rangeNotSatisfiable(let size):
            var response = errorResponse(.rangeInvalid, message: error.message)
            response.headers[.contentRange] = "bytes */\(size)"
            return response
        }
    }

    /// An OCI error document with the code's status (or `status` when given).
    public static func errorResponse(_ code: OCIErrorCode, message: String, status: HTTPResponse.Status? = nil) -> Response {
        let data = OCIErrorResponse(code, message: message).jsonData()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.dockerDistributionAPIVersion] = "registry/2.0"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(
            status: status ?? HTTPResponse.Status(code: code.httpStatus),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension HTTPField.Name {
    /// `Docker-Distribution-API-Version: registry/2.0`, which clients check on `/v2/`.
    static let dockerDistributionAPIVersion = Self("Docker-Distribution-API-Version")!
    static let dockerContentDigest = Self("Docker-Content-Digest")!
    static let ociNamespace = Self("OCI-Namespace")!
    static let link = Self("Link")!
}
