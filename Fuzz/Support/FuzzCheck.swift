#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops the run on a broken property: prints what broke and aborts, which libFuzzer
/// reports as a crash and saves the input as a reproducer.
func fuzzFailure(_ message: String) -> Never {
    let line = Array("fuzz property violated: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    abort()
}

/// Checks one property of the parser under test (see `fuzzFailure`).
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fuzzFailure(message()) }
}

/// Renders text for a failure message with every non-printable scalar escaped.
func fuzzShow(_ value: Any) -> String {
    String(describing: value).unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7f ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
}
