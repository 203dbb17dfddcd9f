/// A configuration problem: a key with a malformed or contradictory value, or a key Ferry
/// does not know. Reported as one line naming the key before exiting.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String

    /// An error with this one-line message (start it with the key's name).
    public init(_ description: String) {
        self.description = description
    }
}

/// A server that cannot start for a reason other than its configuration (the database
/// is unreachable, another server holds the data directory, a migration was edited),
/// reported as one line before exiting.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String

    /// An error with this one-line message.
    public init(_ description: String) {
        self.description = description
    }
}
