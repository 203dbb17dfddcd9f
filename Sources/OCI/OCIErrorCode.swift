/// The error codes of the OCI distribution specification that Ferry answers with,
/// each tied to the HTTP status it travels with.
public enum OCIErrorCode: String, Sendable, Codable, CaseIterable {
    case unauthorized = "UNAUTHORIZED"
    case denied = "DENIED"
    case nameUnknown = "NAME_UNKNOWN"
    case manifestUnknown = "MANIFEST_UNKNOWN"
    case blobUnknown = "BLOB_UNKNOWN"
    case nameInvalid = "NAME_INVALID"
    case digestInvalid = "DIGEST_INVALID"
    case manifestInvalid = "MANIFEST_INVALID"
    case unsupported = "UNSUPPORTED"
    case tooManyRequests = "TOOMANYREQUESTS"
    case rangeInvalid = "RANGE_INVALID"
    case unavailable = "UNAVAILABLE"

    /// The HTTP status code that accompanies this error on the wire.
    public var httpStatus: Int {
        switch self {
        case .unauthorized: 401
        case .denied: 403
        case .nameUnknown, .manifestUnknown, .blobUnknown: 404
        case .nameInvalid, .digestInvalid, .manifestInvalid: 400
        case .unsupported: 405
        case .tooManyRequests: 429
        case .rangeInvalid: 416
        case .unavailable: 503
        }
    }
}
