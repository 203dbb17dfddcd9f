import Foundation

/// The manifest media types Ferry mirrors, and the Accept negotiation between a
/// client's `Accept` headers and a cached manifest's type.
public enum MediaType {
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"

    /// Every manifest type Ferry asks upstreams for, so a multi-arch image arrives intact.
    public static let allManifestTypes = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    /// Types that list other manifests (multi-arch images).
    public static let indexTypes: Set<String> = [ociIndex, dockerManifestList]

    /// Whether `mediaType` describes a multi-arch index or manifest list.
    public static func isIndex(_ mediaType: String) -> Bool {
        indexTypes.contains(mediaType)
    }

    /// Whether `text` is a bare media type, `type/subtype`, each part an RFC 6838
    /// restricted name: a letter or digit, then at most 126 of `A-Z a-z 0-9 ! # $ & - ^ _ . +`.
    /// No parameters, whitespace, control or non-ASCII characters.
    public static func isWellFormed(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy(isRestrictedName)
    }

    private static func isRestrictedName(_ bytes: some Collection<UInt8>) -> Bool {
        func isAlphaNumeric(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
        }
        guard let first = bytes.first, isAlphaNumeric(first), bytes.count <= 127 else { return false }
        return bytes.allSatisfy { isAlphaNumeric($0) || "!#$&-^_.+".utf8.contains($0) }
    }

    /// Splits one or more `Accept` header values into bare, lowercased media types,
    /// dropping parameters and entries with a zero quality (`q=0`, `Q=0.000`).
    ///
    /// Returns nil when the headers list no media type at all (the client expressed no
    /// preference), and `[]` when every listed type was refused. Splits and trims at
    /// bytes: a `,` `;` or space followed by a combining mark is one Character with it.
    public static func parseAccept(_ headerValues: [String]) -> [String]? {
        var types: [String] = []
        var listedAny = false
        for value in headerValues {
            for entry in Array(value.utf8).split(separator: UInt8(ascii: ",")) {
                let parts = entry.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).map(trimmingHTTPWhitespace)
                guard let type = parts.first, !type.isEmpty else { continue }
                listedAny = true
                if !parts.dropFirst().contains(where: isZeroQuality) { types.append(String(decoding: type, as: UTF8.self).lowercased()) }
            }
        }
        return listedAny ? types : nil
    }

    /// Whether a client that sent `accepted` (from `parseAccept`) can take `mediaType`.
    /// nil (no preference) accepts anything; wildcards match as usual.
    public static func accepts(_ accepted: [String]?, _ mediaType: String) -> Bool {
        guard let accepted else { return true }
        let family = mediaType.split(separator: "/").first.map(String.init) ?? ""
        return accepted.contains { $0 == mediaType || $0 == "*/*" || $0 == "\(family)/*" }
    }

    /// `q=0`, `q=0.0`, `Q = 0.000`: RFC 9110 qvalue zero, parameter name case-insensitive.
    private static func isZeroQuality(_ parameter: ArraySlice<UInt8>) -> Bool {
        let pieces = parameter.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false).map(trimmingHTTPWhitespace)
        guard pieces.count == 2, pieces[0].elementsEqual([UInt8(ascii: "q")]) || pieces[0].elementsEqual([UInt8(ascii: "Q")]) else { return false }
        let value = pieces[1]
        guard value.first == UInt8(ascii: "0") else { return false }
        return value.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: ".") } && value.filter { $0 == UInt8(ascii: ".") }.count <= 1
    }

    /// `bytes` without leading and trailing spaces and tabs (RFC 9110 OWS).
    private static func trimmingHTTPWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }), let last = bytes.lastIndex(where: { !isWhitespace($0) }) else { return [] }
        return bytes[first...last]
    }
}
