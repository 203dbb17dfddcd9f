/// A failed S3 operation: an error answer from the server, a transport failure after the
/// retries ran out, or a request this client refused to send.
///
/// `description` reads like `S3 PutObject ferry/blobs/sha256/ab12: 403 SignatureDoesNotMatch: …`.
/// It never contains credentials.
public struct S3Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// The S3 error code (`NoSuchKey`, `SignatureDoesNotMatch`, `SlowDown`, …), a code derived
    /// from the status when the answer had no XML body (`NotFound` for a HEAD 404), or one of
    /// this client's own: ``connectionFailed``, ``invalidArgument``, ``invalidResponse``.
    public var code: String
    /// The HTTP status of the answer; nil when there was none.
    public var httpStatus: Int?
    /// The server's message, or this client's explanation.
    public var message: String
    /// The server's request id (`<RequestId>` or `x-amz-request-id`), when given.
    public var requestID: String?
    /// The operation that failed.
    public var operation: S3Operation
    /// The bucket the operation addressed.
    public var bucket: String
    /// The object key, for object operations.
    public var key: String?
    /// How many attempts were made (1 when the first answer was final).
    public var attempts: Int

    /// Creates an error value.
    public init(
        code: String,
        httpStatus: Int?,
        message: String,
        requestID: String? = nil,
        operation: S3Operation,
        bucket: String,
        key: String?,
        attempts: Int = 1
    ) {
        self.code = code
        self.httpStatus = httpStatus
        self.message = message
        self.requestID = requestID
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.attempts = attempts
    }

    /// No answer could be had: connection refused or reset, timeout, TLS failure.
    public static let connectionFailed = "ConnectionFailed"
    /// The arguments were refused before anything was sent.
    public static let invalidArgument = "InvalidArgument"
    /// A success answer whose body could not be understood.
    public static let invalidResponse = "InvalidResponse"

    /// Whether a retry may succeed: 500, 502, 503, 504, `SlowDown`, `InternalError`,
    /// `RequestTimeout` and connection failures.
    public var isRetryable: Bool {
        if let status = httpStatus, [500, 502, 503, 504].contains(status) {
            return true
        }
        return ["SlowDown", "InternalError", "RequestTimeout", "ServiceUnavailable", Self.connectionFailed].contains(code)
    }

    /// `S3 <Operation> <bucket>/<key>: <status> <Code>: <message> (request id …, after N attempts)`.
    public var description: String {
        var text = "S3 \(operation.rawValue) \(bucket)"
        if let key {
            text += "/\(key)"
        }
        text += ": "
        if let httpStatus {
            text += "\(httpStatus) "
        }
        text += code
        if !message.isEmpty {
            text += ": \(message)"
        }
        var notes: [String] = []
        if let requestID, !requestID.isEmpty {
            notes.append("request id \(requestID)")
        }
        if attempts > 1 {
            notes.append("after \(attempts) attempts")
        }
        if !notes.isEmpty {
            text += " (\(notes.joined(separator: ", ")))"
        }
        return text
    }
}
