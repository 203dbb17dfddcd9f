import Foundation
import Testing

/// Alipay's official Python SDK (`alipay-sdk-python`, installed by
/// `scripts/payment-oracle-venv.sh` into the interpreter named by
/// `FERRY_PAYMENT_ORACLE_PYTHON`) as a second opinion on a checkout URL's signature.
enum AlipayOracle {
    static let python = ProcessInfo.processInfo.environment["FERRY_PAYMENT_ORACLE_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }

    static let script = #"""
    import sys, urllib.parse
    from alipay.aop.api.util.SignatureUtils import get_sign_content, verify_with_rsa
    url, key = sys.argv[1], open(sys.argv[2]).read()
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))
    sign = params.pop("sign")
    print("valid" if verify_with_rsa(key, get_sign_content(params).encode("utf-8"), sign) else "invalid")
    """#

    /// Whether the SDK finds `url` signed by the key in `publicKeyFile`; nil without the
    /// SDK (a failure when the integration environment is required).
    static func verifies(_ url: String, publicKeyFile: String) async throws -> Bool? {
        guard let python else {
            if TestEnvironment.isRequired { Issue.record("FERRY_PAYMENT_ORACLE_PYTHON is not set (scripts/test.sh sets it)") }
            return nil
        }
        let result = try await ProcessRunner.run(python, ["-I", "-c", script, url, publicKeyFile])
        #expect(result.succeeded, "\(result.error)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "valid"
    }
}
