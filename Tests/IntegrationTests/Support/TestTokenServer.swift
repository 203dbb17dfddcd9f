import Crypto
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// The token realm of the token-auth test registry (registry `auth.token`): issues
/// ES256 JWTs with an `x5c` header chaining to the certificate the registry trusts,
/// and only to the user `ferry-upstream` with password `s3cret`.
final class TestTokenServer: Sendable {
    static let username = "ferry-upstream"
    static let password = "s3cret"

    let environment: TestEnvironment
    private let key: P256.Signing.PrivateKey
    private let certificateBase64: String
    private let log = Mutex<[(scope: String, authenticated: Bool)]>([])

    init(environment: TestEnvironment) throws {
        self.environment = environment
        key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: environment.tokenKeyPath, encoding: .utf8))
        let pem = try String(contentsOfFile: environment.root + "/token.crt", encoding: .utf8)
        certificateBase64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    }

    /// Token requests received: the scope asked for and whether credentials came along.
    var requests: [(scope: String, authenticated: Bool)] { log.withLock { $0 } }

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withServer({ onRunning in
            let router = Router()
            router.get("/token") { request, _ in try self.token(request) }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: environment.tokenPort)), onServerRunning: onRunning, logger: quietLogger)
        }) { _ in try await body() }
    }

    private func token(_ request: Request) throws -> Response {
        let scope = request.uri.queryParameters["scope"].map(String.init) ?? ""
        let expected = "Basic " + Data("\(Self.username):\(Self.password)".utf8).base64EncodedString()
        let authenticated = request.headers[.authorization] == expected
        log.withLock { $0.append((scope, authenticated)) }
        guard authenticated else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"test\""])
        }
        let parts = scope.split(separator: ":")
        let access: [[String: Any]] = parts.count == 3
            ? [["type": String(parts[0]), "name": String(parts[1]), "actions": parts[2].split(separator: ",").map(String.init)]]
            : []
        let now = Int(Date().timeIntervalSince1970)
        let header: [String: Any] = ["alg": "ES256", "typ": "JWT", "x5c": [certificateBase64]]
        let claims: [String: Any] = [
            "iss": environment.tokenIssuer, "sub": Self.username, "aud": environment.tokenService,
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": UUID().uuidString, "access": access,
        ]
        let signingInput = try Self.base64URL(JSONSerialization.data(withJSONObject: header)) + "." + Self.base64URL(JSONSerialization.data(withJSONObject: claims))
        let signature = try key.signature(for: Data(signingInput.utf8)).rawRepresentation
        let token = signingInput + "." + Self.base64URL(signature)
        let body = try JSONSerialization.data(withJSONObject: ["token": token, "access_token": token, "expires_in": 300])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
