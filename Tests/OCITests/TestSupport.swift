import Testing
import OCI

/// Runs `body`, which must throw an `OCIError` carrying `code`; returns the error so a
/// test can look at its message.
@discardableResult
func expectOCIError<T>(
    _ code: OCIErrorCode,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(OCIError) -> T
) -> OCIError? {
    do {
        let value = try body()
        Issue.record("expected \(code.rawValue) to be thrown, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == code, "wrong error code in \(error)", sourceLocation: sourceLocation)
        return error
    }
}

/// 64 lowercase hex characters: the SHA-256 of the empty string.
let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// 128 lowercase hex characters: the SHA-512 of the empty string.
let emptySHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
