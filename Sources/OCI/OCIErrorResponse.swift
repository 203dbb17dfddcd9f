import Foundation

/// The JSON error document of the distribution spec:
/// `{"errors":[{"code":"...","message":"...","detail":...}]}`.
public struct OCIErrorResponse: Sendable, Codable, Equatable {
    /// One entry of the `errors` array.
    public struct Entry: Sendable, Codable, Equatable {
        public var code: OCIErrorCode
        public var message: String
        public var detail: [String: String]?

        /// Creates an entry; `detail` is omitted from the JSON when nil.
        public init(code: OCIErrorCode, message: String, detail: [String: String]? = nil) {
            self.code = code
            self.message = message
            self.detail = detail
        }
    }

    public var errors: [Entry]

    /// Creates a document holding a single error.
    public init(_ code: OCIErrorCode, message: String, detail: [String: String]? = nil) {
        self.errors = [Entry(code: code, message: message, detail: detail)]
    }

    /// The serialized JSON body.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and enums cannot fail.
        return (try? encoder.encode(self)) ?? Data(#"{"errors":[]}"#.utf8)
    }
}
