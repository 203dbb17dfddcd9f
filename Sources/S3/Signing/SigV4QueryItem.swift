/// One query parameter of a request to be signed, decoded (not percent-encoded).
///
/// The signer encodes names and values per RFC 3986 and sorts them; a parameter without a
/// value (`?uploads`) is an item with an empty value and is signed and sent as `uploads=`.
public struct SigV4QueryItem: Sendable, Hashable {
    /// The decoded parameter name.
    public var name: String
    /// The decoded parameter value; empty when the parameter has none.
    public var value: String

    /// Creates a query parameter.
    public init(_ name: String, _ value: String = "") {
        self.name = name
        self.value = value
    }
}
