import Accounts
import Billing
import Foundation
import Hummingbird

/// The operator view for admins: users, suspend and resume, payments, audit log.
extension Portal {
    struct StatusForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let status: String?
    }

    struct PaymentForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let username: String?
        let amount: String?
        let reference: String?
        let months: String?
        let plan: String?
    }

    /// `GET /account/admin`.
    func adminPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedInAdmin(request, context: context)
        return try await admin(visitor, notice: nil)
    }

    /// The operator view, with a notice after an action.
    func admin(_ visitor: SignedIn, notice: String?) async throws -> Response {
        let users = try await accounts.allUsers()
        var lines: [String: UserUsage] = [:]
        var paidUntil: [Int64: String] = [:]
        var month = ""
        var plans: [String] = []
        var report: UsageReport?
        if let billing {
            month = String(billing.service.calendar.day(of: now()).description.prefix(7))
            let monthly = try await billing.service.monthlyReport(month: month)
            report = monthly
            lines = Dictionary(monthly.users.filter { !$0.deleted }.map { ($0.username, $0) }) { first, _ in first }
            for user in users {
                if let subscription = try await billing.service.subscription(userID: user.id) {
                    paidUntil[user.id] = "\(billing.service.status(subscription).rawValue) until \(subscription.periodEnd)"
                }
            }
            plans = try await billing.service.plans().map(\.name)
        }
        let rows = users.map { user in
            let line = lines[user.username]
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
        let content = AdminContent(
            month: month, hasBilling: billing != nil, users: rows, usernames: users.map(\.username), plans: plans,
            audit: entries.map { .init(at: AccessContent.format($0.at), actor: $0.actor, action: $0.action, target: $0.target ?? "-", detail: $0.detail) },
            hasAudit: !entries.isEmpty,
            totalServed: UsageReport.bytes(report?.bytesServed ?? 0),
            revenue: report.map { Money.format($0.revenue) } ?? "-"
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

    /// `POST /account/admin/payments`: records a payment and extends the subscription
    /// (idempotent per reference, as `ferry payment record`).
    func recordPayment(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedInAdmin(request, context: context)
        let form = try await form(PaymentForm.self, of: request, for: visitor, context: context)
        guard let billing else { throw PortalError.badRequest("Billing is not enabled on this Ferry.") }
        guard let username = form.username, !username.isEmpty else { throw PortalError.badRequest("Choose the user who paid.") }
        guard let amount = form.amount.map({ $0.trimmingCharacters(in: .whitespaces) }), !amount.isEmpty else {
            throw PortalError.badRequest("Enter the amount, in the plan's currency.")
        }
        guard let months = Int(form.months ?? "1"), (1...36).contains(months) else { throw PortalError.badRequest("Months must be 1 to 36.") }
        let reference = (form.reference ?? "").trimmingCharacters(in: .whitespaces)
        guard !reference.isEmpty else { throw PortalError.badRequest("Enter the payment's reference (an order or receipt number).") }
        let plan = form.plan.flatMap { $0.isEmpty ? nil : $0 }
        let user = try await accounts.user(username)
        let detail = "\(amount) for \(months) month\(months == 1 ? "" : "s"), ref \(reference)\(plan.map { ", plan \($0)" } ?? "")"
        let (outcome, minor, currency) = try await audited("payment", by: visitor, target: username, detail: detail) {
            try await billing.service.recordPayment(userID: user.id, username: username, amount: amount, reference: reference, months: months, planName: plan)
        }
        let subscription = outcome.subscription
        guard outcome.recorded else {
            _ = try? await audit.record(actor: visitor.user.username, action: "payment-unchanged", target: username, detail: "ref \(reference) was already recorded", at: now())
            return try await admin(visitor, notice: "Payment \(reference) was already recorded; nothing changed.")
        }
        let until = subscription?.periodEnd.description ?? "-"
        log("admin-payment", by: visitor, context: context, ["target": "\(username)", "reference": "\(reference)"])
        return try await admin(visitor, notice: "Recorded \(Money.format(minor, currency)) from \(username); paid until \(until).")
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
