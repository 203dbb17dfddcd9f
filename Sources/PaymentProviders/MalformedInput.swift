/// Why untrusted input (a form body, a signature header) could not be parsed;
/// the reason names the problem (and at most a parameter name), never a value.
struct MalformedInput: Error, Equatable {
    /// Log-safe explanation.
    let reason: String
}
