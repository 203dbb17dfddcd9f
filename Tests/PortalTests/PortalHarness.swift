import Accounts
import Cache
import FerryServer
import FerryTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Portal
import Testing

/// The portal inside the real gateway application, over in-memory accounts and audit
/// log (no billing), with a test clock.
struct PortalHarness: Sendable {
    let clock = TestClock()
    let users = InMemoryUserRepository()
    let audit = InMemoryAuditLog()
    let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    var publicURL = URL(string: "http://mirror.test")!
    var requestsPerMinute = 1000
    var throttle = LoginThrottle()

    static let password = "correct-horse-9"

    var accounts: AccountService { AccountService(users: users, hasher: hasher, now: { [clock] in clock.now }) }

    /// Creates a user with the standard password.
    @discardableResult
    func addUser(_ name: String, role: UserRole = .subscriber) async throws -> User {
        _ = try await accounts.createUser(username: name, email: nil, password: Self.password)
        return try await accounts.setRole(name, role)
    }

    /// Runs `test` against the real application (`buildApplication` over
    /// `Dependencies.inMemory`) in `subscribers` mode, with this harness's accounts,
    /// audit log, throttle and clock.
    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let configuration = try await testConfiguration([
            "access-mode": "subscribers", "public-url": publicURL.absoluteString, "mirror-domain": "mirror.test",
            "upstreams": "docker,quay", "portal.requests-per-minute": String(requestsPerMinute),
        ])
        let dependencies = try await Dependencies.inMemory(
            configuration, upstreams: [InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)], users: users, audit: audit,
            hasher: hasher, throttle: throttle, now: { [clock] in clock.now }, logger: logger
        )
        let app = try await buildApplication(configuration, dependencies, logger: logger)
        try await app.test(.router, test)
    }
}

/// A browser's view of one signed-in session: its cookie and the form token.
struct Browser: Sendable {
    var cookie: String
    var csrf: String

    var headers: HTTPFields { [.cookie: cookie] }

    /// Headers for a form post.
    func formHeaders(origin: String? = nil) -> HTTPFields {
        var headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
        if let origin { headers[.origin] = origin }
        return headers
    }

    /// Signs in through the form and reads the session's form token from the dashboard.
    static func signIn(_ client: any TestClientProtocol, _ username: String, password: String = PortalHarness.password) async throws -> Browser {
        let (signInCookie, token) = try await signInForm(client)
        let response = try await client.execute(
            uri: "/account/sign-in", method: .post,
            headers: [.cookie: signInCookie, .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: form(["csrf": token, "username": username, "password": password]))
        )
        #expect(response.status == .seeOther, "sign-in answered \(response.status): \(String(buffer: response.body))")
        let cookie = try #require(cookieValue(response, SessionCookieName.session))
        let dashboard = try await client.execute(uri: "/account", method: .get, headers: [.cookie: "\(SessionCookieName.session)=\(cookie)"])
        return Browser(cookie: "\(SessionCookieName.session)=\(cookie)", csrf: try #require(csrfToken(in: String(buffer: dashboard.body))))
    }

    /// The sign-in page's cookie (`name=value`) and form token.
    static func signInForm(_ client: any TestClientProtocol) async throws -> (cookie: String, token: String) {
        let page = try await client.execute(uri: "/account/sign-in", method: .get)
        let value = try #require(cookieValue(page, SessionCookieName.signIn))
        let token = try #require(csrfToken(in: String(buffer: page.body)))
        #expect(token == value)
        return ("\(SessionCookieName.signIn)=\(value)", token)
    }

    /// The value a response sets for cookie `name`.
    static func cookieValue(_ response: TestResponse, _ name: String) -> String? {
        setCookie(response, name)?.split(separator: ";").first.map { String($0.dropFirst(name.count + 1)) }
    }

    /// The whole `Set-Cookie` header for `name`.
    static func setCookie(_ response: TestResponse, _ name: String) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([A-Za-z0-9_-]+)""#, options: .regularExpression) else { return nil }
        return html[range].split(separator: "\"").dropFirst(3).first.map(String.init)
    }

    static func form(_ fields: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}

/// The portal's cookie names, as a browser sees them.
enum SessionCookieName {
    static let session = "ferry_session"
    static let signIn = "ferry_signin"
}
