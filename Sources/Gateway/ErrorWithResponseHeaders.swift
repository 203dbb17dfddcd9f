import HTTPTypes

/// An error thrown by a middleware that wants headers on whatever error response
/// `OCIErrorMiddleware` makes of it (the rate-limit headers on a manifest 404 or a 429).
struct ErrorWithResponseHeaders: Error {
    let error: any Error
    let headers: HTTPFields

    init(_ error: any Error, headers: HTTPFields) {
        self.error = error
        self.headers = headers
    }
}
