/// The subscriber portal at `/account/` (served in `subscribers` mode).
///
/// Configuration keys:
/// - `portal.requests-per-minute`: page requests one client address may make per minute
///   (1–100000, default 240).
public struct PortalConfiguration: Sendable {
    public var requestsPerMinute: Int

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        requestsPerMinute = try reader.scoped(to: "portal").int("requests-per-minute", default: 240, range: 1...100_000)
    }
}
