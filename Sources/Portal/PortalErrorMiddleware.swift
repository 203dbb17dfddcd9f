import Accounts
import Billing
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error thrown by a portal handler into a page: the one place where
/// portal, account and billing errors become HTTP statuses and messages. A missing
/// session becomes a redirect to the sign-in page; internal details are logged, never
/// shown.
struct PortalErrorMiddleware<Context: PortalRequestContext>: RouterMiddleware {
    let renderer: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return response(for: error, logger: context.logger)
        }
    }

    func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case let error as PortalError:
            switch error {
            case .signInRequired:
                return PageRenderer.redirect(to: "/account/sign-in")
            case .adminOnly:
                return page(.forbidden, "Operators only", "This page is for operators. Ask the operator to make your account an admin if you need it.")
            case .forgedForm:
                return page(.forbidden, "Form expired", "The form expired or was sent from another site. Go back, reload the page and try again.")
            case .badRequest(let message):
                return page(.badRequest, "Bad request", message)
            case .notFound:
                return page(.notFound, "Not found", "There is no such page.")
            case .tooManyRequests(let retryAfter):
                var response = page(.tooManyRequests, "Too many requests", "Too many requests from your address. Try again in \(retryAfter) seconds.")
                response.headers[.retryAfter] = String(retryAfter)
                return response
            }
        case let error as AccountsError:
            switch error {
            case .userNotFound, .tokenNotFound, .mirrorKeyNotFound, .refreshTokenNotFound, .signingKeyNotFound:
                return page(.notFound, "Not found", error.description.asSentence)
            case .invalidUsername, .invalidEmail, .weakPassword, .userExists, .refused:
                return page(.badRequest, "Bad request", error.description.asSentence)
            case .databaseUnavailable, .internalFailure:
                logger.error("portal: account storage error", metadata: ["error": "\(error)"])
                return page(.serviceUnavailable, "Temporarily unavailable", "The service is temporarily unavailable. Try again in a minute.")
            }
        case let error as BillingError:
            switch error {
            case .invalid(let message): return page(.badRequest, "Bad request", message.asSentence)
            case .notFound(let message): return page(.notFound, "Not found", message.asSentence)
            case .conflict(let message): return page(.conflict, "Conflict", message.asSentence)
            case .databaseUnavailable:
                logger.error("portal: billing storage error", metadata: ["error": "\(error)"])
                return page(.serviceUnavailable, "Temporarily unavailable", "The service is temporarily unavailable. Try again in a minute.")
            }
        case let error as HTTPError:
            return page(error.status, error.status.reasonPhrase, error.status == .contentTooLarge ? "The form is too large." : "The request could not be handled.")
        default:
            logger.error("portal: internal error", metadata: ["error": "\(error)"])
            return page(.internalServerError, "Something went wrong", "Something went wrong on our side. The operator can find it in the log.")
        }
    }

    /// What the error page shows.
    struct ErrorContent: Sendable {
        let heading: String
        let message: String
        let status: Int
    }

    private func page(_ status: HTTPResponse.Status, _ title: String, _ message: String) -> Response {
        let frame = PageFrame(title: title, visitor: nil, csrfToken: nil, section: .none)
        return renderer.page("error", frame: frame, content: ErrorContent(heading: title, message: message, status: status.code), status: status)
    }
}
