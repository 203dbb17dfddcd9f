/// A configuration problem found at start-up, reported as one line before exiting.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
