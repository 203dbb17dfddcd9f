/// A small, strict-enough XML parser for S3 response bodies.
///
/// Handles the prolog, comments, CDATA, self-closing tags, attributes (skipped) and the five
/// predefined entities plus numeric character references. No DTDs. Returns nil for input
/// that is not a single well-formed element tree, so callers can fall back to the status.
enum S3XMLParser {
    /// Parses `bytes` into its root element, or nil when it is not XML.
    static func parse<Bytes: Collection>(_ bytes: Bytes) -> S3XMLElement? where Bytes.Element == UInt8 {
        var reader = Reader(Array(bytes))
        return reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func document() -> S3XMLElement? {
            skipMisc()
            guard let root = element() else { return nil }
            skipMisc()
            return index == bytes.count ? root : nil
        }

        /// Skips whitespace, `<?…?>`, `<!--…-->` and `<!DOCTYPE …>` between top-level items.
        private mutating func skipMisc() {
            while index < bytes.count {
                if isSpace(bytes[index]) {
                    index += 1
                } else if starts(with: "<?") {
                    guard skip(past: "?>") else { return }
                } else if starts(with: "<!--") {
                    guard skip(past: "-->") else { return }
                } else if starts(with: "<!") {
                    guard skip(past: ">") else { return }
                } else {
                    return
                }
            }
        }

        private mutating func element() -> S3XMLElement? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { return nil }
            index += 1
            guard let name = name() else { return nil }
            // Attributes: skip to the end of the tag, honouring quotes.
            var quote: UInt8?
            while index < bytes.count {
                let byte = bytes[index]
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") {
                    break
                }
                index += 1
            }
            guard index < bytes.count else { return nil }
            var node = S3XMLElement(name: localName(name), text: "", children: [])
            if bytes[index] == UInt8(ascii: "/") {
                guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ">") else { return nil }
                index += 2
                return node
            }
            index += 1  // '>'
            var text: [UInt8] = []
            while index < bytes.count {
                if starts(with: "</") {
                    index += 2
                    guard let closing = self.name(), closing == name else { return nil }
                    while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { return nil }
                    index += 1
                    guard let decoded = decodeEntities(text) else { return nil }
                    node.text = decoded
                    return node
                } else if starts(with: "<!--") {
                    guard skip(past: "-->") else { return nil }
                } else if starts(with: "<![CDATA[") {
                    index += 9
                    let start = index
                    guard skip(past: "]]>") else { return nil }
                    // CDATA is literal: escape '&' so entity decoding leaves it intact.
                    for byte in bytes[start..<(index - 3)] {
                        if byte == UInt8(ascii: "&") {
                            text.append(contentsOf: Array("&amp;".utf8))
                        } else {
                            text.append(byte)
                        }
                    }
                } else if starts(with: "<?") {
                    guard skip(past: "?>") else { return nil }
                } else if bytes[index] == UInt8(ascii: "<") {
                    guard let child = element() else { return nil }
                    node.children.append(child)
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
            return nil
        }

        private mutating func name() -> String? {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") { break }
                index += 1
            }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        private func localName(_ name: String) -> String {
            guard let colon = name.lastIndex(of: ":") else { return name }
            return String(name[name.index(after: colon)...])
        }

        private func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        private func starts(with prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            return prefix.withUTF8Buffer { buffer in
                buffer.elementsEqual(bytes[index..<(index + count)])
            }
        }

        /// Moves past the next occurrence of `terminator`; false if there is none.
        private mutating func skip(past terminator: StaticString) -> Bool {
            while index < bytes.count {
                if starts(with: terminator) {
                    index += terminator.utf8CodeUnitCount
                    return true
                }
                index += 1
            }
            return false
        }

        private func decodeEntities(_ raw: [UInt8]) -> String? {
            guard raw.contains(UInt8(ascii: "&")) else {
                return String(decoding: raw, as: UTF8.self)
            }
            var out: [UInt8] = []
            var i = 0
            while i < raw.count {
                guard raw[i] == UInt8(ascii: "&") else {
                    out.append(raw[i])
                    i += 1
                    continue
                }
                guard let semicolon = raw[i...].firstIndex(of: UInt8(ascii: ";")) else { return nil }
                let entity = String(decoding: raw[(i + 1)..<semicolon], as: UTF8.self)
                switch entity {
                case "amp": out.append(UInt8(ascii: "&"))
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    let scalarValue: UInt32?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        scalarValue = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        scalarValue = UInt32(entity.dropFirst(), radix: 10)
                    } else {
                        return nil
                    }
                    guard let value = scalarValue, let scalar = Unicode.Scalar(value) else { return nil }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
                i = semicolon + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
