import NIOCore
import NIOHTTP1

extension S3Error {
    /// The error an S3 answer stands for: its XML `<Error>` document when there is one,
    /// else a code derived from the status.
    static func fromResponse(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        body: ByteBuffer?,
        operation: S3Operation,
        bucket: String,
        key: String?
    ) -> S3Error {
        let headerRequestID = headers.first(name: "x-amz-request-id")
        if let body, let document = S3XMLParser.parse(body.readableBytesView), document.name == "Error" {
            let code = document.text(of: "Code") ?? code(for: status)
            let message = document.text(of: "Message") ?? ""
            return S3Error(
                code: code,
                httpStatus: Int(status.code),
                message: message.isEmpty ? explanation(of: code) ?? status.reasonPhrase : message,
                requestID: document.text(of: "RequestId") ?? headerRequestID,
                operation: operation,
                bucket: bucket,
                key: key
            )
        }
        return S3Error(
            code: code(for: status),
            httpStatus: Int(status.code),
            message: status.reasonPhrase,
            requestID: headerRequestID,
            operation: operation,
            bucket: bucket,
            key: key
        )
    }

    /// What common codes mean, for servers (radosgw) that send an empty `<Message>`.
    private static func explanation(of code: String) -> String? {
        switch code {
        case "SignatureDoesNotMatch":
            return "the request signature does not match (wrong secret key, or a region or endpoint the server does not expect)"
        case "InvalidAccessKeyId": return "the access key id is unknown to the server"
        case "AccessDenied": return "access denied (for a presigned URL: expired or not allowed)"
        case "NoSuchKey": return "no object has this key"
        case "NoSuchBucket": return "the bucket does not exist"
        case "NoSuchUpload": return "no such multipart upload (completed, aborted or never created)"
        case "XAmzContentSHA256Mismatch": return "the body does not match its x-amz-content-sha256"
        case "RequestTimeTooSkewed": return "the request time differs too much from the server's clock"
        case "SlowDown": return "the server asks to reduce the request rate"
        case "InvalidPart": return "a listed part was not found or its ETag does not match"
        case "EntityTooSmall": return "a part other than the last is smaller than 5 MiB"
        default: return nil
        }
    }

    /// A code for answers without an XML body (HEAD, proxies).
    private static func code(for status: HTTPResponseStatus) -> String {
        switch status.code {
        case 400: return "BadRequest"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 412: return "PreconditionFailed"
        case 416: return "InvalidRange"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        default: return "HTTP\(status.code)"
        }
    }
}
