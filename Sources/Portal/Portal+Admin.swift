import Accounts
import Billing
import Foundation
import Hummingbird

/// The operator view for admins: users a page at a time (one bounded set of statements
/// however many there are, billing review B13), suspend and resume, the payment inbox,
/// payments and refunds, the month's export, and the audit log.
extension Portal {
    struct StatusForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let status: String?
    }

    /// Users shown per page of the operator view.
    static let usersPerPage = 100

    /// `GET /account/admin[?page=N]`.
    func adminPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedInAdmin(request, context: context)
        let page = request.uri.queryParameters["page"].flatMap { Int($0) }.map { max(1, min($0, 100_000)) } ?? 1
        return try await admin(visitor, notice: nil, page: page)
    }

    /// The operator view, with a notice after an action.
    func admin(_ visitor: SignedIn, notice: String?, page: Int = 1) async throws -> Response {
        let (users, total) = try await accounts.users(page: page, perPage: Self.usersPerPage)
        var lines: [Int64: UserUsage] = [:]
        var paidUntil: [Int64: String] = [:]
        var month = ""
        var plans: [String] = []
        var report: UsageReport?
        var inbox: [InboxEvent] = []
        if let billing {
            let service = billing.service
            month = service.currentMonth
            let monthly = try await service.monthlyReport(month: month)
            report = monthly
            lines = Dictionary(monthly.users.filter { !$0.deleted }.map { ($0.userID, $0) }) { first, _ in first }
            for (userID, subscription) in try await service.subscriptions(userIDs: users.map(\.id)) {
                paidUntil[userID] = "\(service.status(subscription).rawValue) until \(subscription.periodEnd)"
            }
            plans = try await service.plans().map(\.name)
            inbox = try await service.inbox(limit: 50)
        }
        let rows = users.map { user in
            let line = lines[user.id]
            return AdminContent.UserRow(
                username: user.username, role: user.role.rawValue, isAdmin: user.role == .admin, status: user.status.rawValue,
                isSuspended: user.status == .suspended, isSelf: user.id == visitor.user.id, plan: line?.plan ?? "-",
                subscription: paidUntil[user.id] ?? "none", paidUntil: paidUntil[user.id] ?? "-",
                served: UsageReport.bytes(line?.bytesServed ?? 0), quotaPercent: line?.quotaUsedPercent.map { String(format: "%.1f %%", $0) } ?? "-",
                manifestPulls: line?.manifestPulls ?? 0, due: Money.format(line?.due ?? [:]),
                paid: Money.format(line?.paid ?? [:]), likelyShared: line?.likelyShared ?? false
            )
        }
        let entries = try await audit.recent(limit: 50)
        let pages = max(1, (total + Self.usersPerPage - 1) / Self.usersPerPage)
        let content = AdminContent(
            month: month, hasBilling: billing != nil, users: rows, usernames: users.map(\.username), plans: plans,
            audit: entries.map { .init(at: AccessContent.format($0.at), actor: $0.actor, action: $0.action, target: $0.target ?? "-", detail: $0.detail) },
            hasAudit: !entries.isEmpty,
            totalServed: UsageReport.bytes(report?.bytesServed ?? 0),
            revenue: report.map { Money.format($0.revenue) } ?? "-",
            inbox: inbox.map(AdminContent.InboxRow.init), hasInbox: !inbox.isEmpty,
            pager: .init(page: page, pages: pages, total: total, previous: page > 1 ? "/account/admin?page=\(page - 1)" : nil,
                         next: page < pages ? "/account/admin?page=\(page + 1)" : nil),
            exportURL: "/account/admin/export?month=\(month)"
        )
        var frame = frame("Operator view", .admin, for: visitor)
        frame.notice = notice
        return renderer.page("admin", frame: frame, content: content)
    }

    /// `POST /account/admin/users/:name/status`: suspends (ending the user's sessions
    /// and refresh tokens) or resumes a user.
    func setUserStatus(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedInAdmin(request, context: context)
        let form = try await form(StatusForm.self, of: request, for: visitor, context: context)
        guard let name = context.parameters.get("name"), let status = form.status.flatMap(UserStatus.init(rawValue:)) else {
            throw PortalError.badRequest("Choose suspended or active.")
        }
        if name == visitor.user.username, status == .suspended {
            throw PortalError.badRequest("You cannot suspend your own account.")
        }
        let target = try await accounts.user(name)
        let action = status == .suspended ? "suspend" : "resume"
        let user = try await audited(action, by: visitor, target: target.username, detail: "status \(status.rawValue)") {
            try await accounts.setStatus(name, status)
        }
        log("admin-\(action)", by: visitor, context: context, ["target": "\(user.username)"])
        return try await admin(visitor, notice: status == .suspended ? "\(user.username) is suspended and signed out everywhere." : "\(user.username) is active again.")
    }

    /// Runs an admin action with its audit record written first (review H4): if the
    /// record cannot be written, nothing is done; if the action then fails, a
    /// `<action>-failed` record follows. So no admin action stands unaudited. (One
    /// transaction for both is not possible: accounts, billing and the audit log are
    /// separate stores.)
    func audited<T>(_ action: String, by visitor: SignedIn, target: String, detail: String, _ body: () async throws -> T) async throws -> T {
        try await audit.record(actor: visitor.user.username, action: action, target: target, detail: detail, at: now())
        do {
            return try await body()
        } catch {
            _ = try? await audit.record(actor: visitor.user.username, action: "\(action)-failed", target: target, detail: detail, at: now())
            throw error
        }
    }
}
