/// A parsed XML element: its local name, its text and its child elements.
///
/// Just enough structure for the few documents S3 returns (errors, listings, multipart
/// answers). Namespaces prefixes are dropped; attributes are ignored.
struct S3XMLElement: Sendable, Hashable {
    /// The element's local name (`Code` for `<s3:Code>`).
    var name: String
    /// The concatenated character data directly inside the element, entities decoded.
    var text: String
    /// The child elements in document order.
    var children: [S3XMLElement]

    /// The first child with that name.
    func child(_ name: String) -> S3XMLElement? {
        children.first { $0.name == name }
    }

    /// All children with that name.
    func children(named name: String) -> [S3XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child with that name.
    func text(of name: String) -> String? {
        child(name)?.text
    }
}
