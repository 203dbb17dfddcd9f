import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A minimal browser for the portal over real HTTP: keeps cookies, does not follow
/// redirects, and signs in through the form like a person would.
final class PortalClient: Sendable {
    struct Page: Sendable {
        let status: Int
        let location: String?
        let html: String
        let setCookies: [String]
    }

    let base: String
    private let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: .init(redirectConfiguration: .disallow))
    private let jar = Mutex<[String: String]>([:])

    init(base: String) {
        self.base = base
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    /// The page's form token (the first hidden `csrf` field).
    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([A-Za-z0-9_-]+)""#, options: .regularExpression) else { return nil }
        return html[range].split(separator: "\"").dropFirst(3).first.map(String.init)
    }

    func get(_ path: String) async throws -> Page {
        try await send(HTTPClientRequest(url: base + path))
    }

    func post(_ path: String, _ fields: [String: String]) async throws -> Page {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Origin", value: base)
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    /// Signs in through the form; returns the dashboard's form token.
    @discardableResult
    func signIn(_ username: String, _ password: String) async throws -> String {
        let form = try await get("/account/sign-in")
        let token = try #require(Self.csrf(in: form.html))
        let answer = try await post("/account/sign-in", ["csrf": token, "username": username, "password": password])
        #expect(answer.status == 303, "sign-in: \(answer.status) \(answer.html.prefix(300))")
        return try #require(Self.csrf(in: try await get("/account").html))
    }

    var hasSession: Bool { jar.withLock { $0["ferry_session"] != nil } }

    private func send(_ request: HTTPClientRequest) async throws -> Page {
        var request = request
        let cookie = jar.withLock { $0.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if !cookie.isEmpty { request.headers.add(name: "Cookie", value: cookie) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        let setCookies = response.headers["Set-Cookie"]
        jar.withLock { jar in
            for header in setCookies {
                guard let pair = header.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<equals])
                let value = String(pair[pair.index(after: equals)...])
                if value.isEmpty || header.contains("Max-Age=0") { jar.removeValue(forKey: name) } else { jar[name] = value }
            }
        }
        return Page(status: Int(response.status.code), location: response.headers.first(name: "Location"), html: String(buffer: body), setCookies: setCookies)
    }
}
