import Accounts
import Foundation
import Hummingbird
import Logging

/// The subscriber web portal under `/account/`: sign-in with a server-side session,
/// a dashboard of the month's usage, self-service access tokens, mirror keys, setup
/// snippets and password change, and an operator view for admins. Server-rendered
/// from Mustache templates; every form carries a CSRF token.
public struct Portal: Sendable {
    let accounts: AccountService
    let authenticator: Authenticator
    let sessions: PortalSessions
    let audit: any AuditLog
    let billing: PortalBilling?
    let settings: PortalSettings
    let renderer: PageRenderer
    let cookies: SessionCookies
    let guardian: FormGuard
    let limiter: PortalRateLimiter
    let now: @Sendable () -> Date

    /// Creates the portal over the same accounts (and billing, when plans are enforced)
    /// as the token service.
    public init(
        accounts: AccountService, authenticator: Authenticator, sessions: PortalSessions, audit: any AuditLog, billing: PortalBilling?,
        settings: PortalSettings, renderer: PageRenderer, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.accounts = accounts
        self.authenticator = authenticator
        self.sessions = sessions
        self.audit = audit
        self.billing = billing
        self.settings = settings
        self.renderer = renderer
        self.cookies = SessionCookies(settings: settings, lifetime: sessions.lifetime)
        self.guardian = FormGuard(settings: settings)
        self.limiter = PortalRateLimiter(requestsPerMinute: settings.requestsPerMinute, now: now)
        self.now = now
    }

    /// Registers every portal route under `/account`.
    public func addRoutes<Context: PortalRequestContext>(to router: Router<Context>) {
        let group = router.group("account")
            .add(middleware: PortalErrorMiddleware<Context>(renderer: renderer))
            .add(middleware: PortalLimitMiddleware<Context>(limiter: limiter))
        group.get { request, context in try await dashboard(request, context: context) }
        group.get("sign-in") { request, context in try await signInPage(request, context: context) }
        group.post("sign-in") { request, context in try await signIn(request, context: context) }
        group.post("sign-out") { request, context in try await signOut(request, context: context) }
        group.post("sign-out-everywhere") { request, context in try await signOutEverywhere(request, context: context) }
        group.get("access") { request, context in try await accessPage(request, context: context) }
        group.post("tokens") { request, context in try await createToken(request, context: context) }
        group.post("tokens/:id/revoke") { request, context in try await revokeToken(request, context: context) }
        group.post("mirror-keys") { request, context in try await createMirrorKey(request, context: context) }
        group.post("mirror-keys/:id/revoke") { request, context in try await revokeMirrorKey(request, context: context) }
        group.post("logins/:id/revoke") { request, context in try await revokeLogin(request, context: context) }
        group.get("setup") { request, context in try await setupPage(request, context: context) }
        group.get("password") { request, context in try await passwordPage(request, context: context) }
        group.post("password") { request, context in try await changePassword(request, context: context) }
        group.get("billing") { request, context in try await billingPage(request, context: context) }
        group.post("billing/orders") { request, context in try await createOrder(request, context: context) }
        group.get("billing/receipts/:id") { request, context in try await receipt(request, context: context) }
        group.get("admin") { request, context in try await adminPage(request, context: context) }
        group.get("admin/export") { request, context in try await exportTransactions(request, context: context) }
        group.post("admin/refunds") { request, context in try await refund(request, context: context) }
        group.post("admin/users/:name/status") { request, context in try await setUserStatus(request, context: context) }
        group.post("admin/payments") { request, context in try await recordPayment(request, context: context) }
        group.get("static/:name") { _, context in
            guard let response = renderer.asset(context.parameters.get("name") ?? "") else { throw PortalError.notFound }
            return response
        }
        group.get("**") { _, _ -> Response in throw PortalError.notFound }
        group.post("**") { _, _ -> Response in throw PortalError.notFound }
    }

    // MARK: - Shared steps

    /// A signed-in request: its session and (active) user.
    struct SignedIn: Sendable {
        let session: PortalSession
        let user: User
    }

    /// The live session of the request's cookie, or `signInRequired`.
    func signedIn(_ request: Request, context: some PortalRequestContext) async throws -> SignedIn {
        guard let secret = cookies.value(SessionCookies.session, in: request, forwardedBase: context.forwardedBase),
              let (session, user) = try await sessions.resume(secret: secret)
        else { throw PortalError.signInRequired }
        context.noteUser(user.username)
        return SignedIn(session: session, user: user)
    }

    /// The browser's device cookie (set at a successful sign-in), if it sent one.
    func device(of request: Request, context: some PortalRequestContext) -> String? {
        cookies.value(SessionCookies.device, in: request, forwardedBase: context.forwardedBase)
    }

    /// A signed-in admin, or `adminOnly`.
    func signedInAdmin(_ request: Request, context: some PortalRequestContext) async throws -> SignedIn {
        let visitor = try await signedIn(request, context: context)
        guard visitor.user.role == .admin else { throw PortalError.adminOnly }
        return visitor
    }

    /// The submitted form of a signed-in request, after its CSRF token and origin passed.
    func form<Form: Decodable & CSRFProtectedForm>(_ type: Form.Type, of request: Request, for visitor: SignedIn, context: some PortalRequestContext) async throws -> Form {
        let form = try await decodeForm(type, request)
        try guardian.check(request, submitted: form.csrf, expected: visitor.session.csrfToken, forwardedBase: context.forwardedBase)
        return form
    }

    /// A URL-encoded form body (at most 64 KiB).
    func decodeForm<Form: Decodable>(_ type: Form.Type, _ request: Request) async throws -> Form {
        let body = try await request.body.collect(upTo: 64 * 1024)
        do {
            return try URLEncodedFormDecoder().decode(type, from: String(buffer: body))
        } catch {
            throw PortalError.badRequest("The form was incomplete. Reload the page and try again.")
        }
    }

    /// The frame of a signed-in page.
    func frame(_ title: String, _ section: PageFrame.Section, for visitor: SignedIn) -> PageFrame {
        var frame = PageFrame(
            title: title, visitor: .init(username: visitor.user.username, isAdmin: visitor.user.role == .admin),
            csrfToken: visitor.session.csrfToken, section: section
        )
        frame.hasBilling = billing != nil
        return frame
    }

    /// Writes one log line for a portal action (never a secret).
    func log(_ action: String, by visitor: SignedIn, context: some PortalRequestContext, _ metadata: Logger.Metadata = [:]) {
        context.logger.info("portal", metadata: metadata.merging(["user": "\(visitor.user.username)", "action": "\(action)"]) { $1 })
    }
}

/// A form that carries the CSRF token in a hidden `csrf` field.
protocol CSRFProtectedForm {
    var csrf: String? { get }
}
