import Accounts
import Billing
import Foundation
import Hummingbird
import NIOCore

/// The operator view's money forms: record a payment, record a refund (optionally
/// ending access), and download the month's transactions. Each change is audited by the
/// billing service in its own transaction, naming the admin.
extension Portal {
    struct PaymentForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let username: String?
        let amount: String?
        let reference: String?
        let months: String?
        let plan: String?
    }

    struct RefundForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let reference: String?
        let refundReference: String?
        let amount: String?
        let reason: String?
        let endAccess: String?

        enum CodingKeys: String, CodingKey {
            case csrf, reference, amount, reason
            case refundReference = "refund_reference"
            case endAccess = "end_access"
        }
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
        let (outcome, minor, currency) = try await billing.service.recordPayment(
            userID: user.id, username: username, amount: amount, reference: reference, months: months, planName: plan, actor: visitor.user.username
        )
        guard outcome.recorded else { return try await admin(visitor, notice: "Payment \(reference) was already recorded; nothing changed.") }
        let until = outcome.subscription?.periodEnd.description ?? "-"
        log("admin-payment", by: visitor, context: context, ["target": "\(username)", "reference": "\(reference)"])
        return try await admin(visitor, notice: "Recorded \(Money.format(minor, currency)) from \(username); paid until \(until).")
    }

    /// `POST /account/admin/refunds`: records a refund once per refund reference (the
    /// money itself is returned in the provider's console), optionally ending access today.
    func refund(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedInAdmin(request, context: context)
        let form = try await form(RefundForm.self, of: request, for: visitor, context: context)
        guard let billing else { throw PortalError.badRequest("Billing is not enabled on this Ferry.") }
        let reference = (form.reference ?? "").trimmingCharacters(in: .whitespaces)
        let refundReference = (form.refundReference ?? "").trimmingCharacters(in: .whitespaces)
        guard !reference.isEmpty else { throw PortalError.badRequest("Enter the reference of the payment to refund.") }
        guard !refundReference.isEmpty else {
            throw PortalError.badRequest("Enter the refund's own reference (the provider's refund number): sending the form twice then refunds once.")
        }
        var minor: Int64?
        if let amount = form.amount?.trimmingCharacters(in: .whitespaces), !amount.isEmpty {
            let currency = try await billing.service.paymentCurrency(reference: reference)
            guard let parsed = Money.minorUnits(amount, currency: currency), parsed > 0 else {
                throw PortalError.badRequest("\"\(amount.prefix(40))\" is not an amount in \(currency).")
            }
            minor = parsed
        }
        let reason = form.reason.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : String($0.prefix(500)) }
        let outcome = try await billing.service.refund(
            reference: reference, refundReference: refundReference, amountMinor: minor, reason: reason, endAccess: form.endAccess == "on",
            actor: visitor.user.username
        )
        log("admin-refund", by: visitor, context: context, ["reference": "\(reference)", "refund": "\(refundReference)"])
        let refund = outcome.refund
        guard outcome.recorded else { return try await admin(visitor, notice: "Refund \(refundReference) was already recorded; nothing changed.") }
        let ended = outcome.subscription.map { "; access ends on \($0.periodEnd)" } ?? ""
        return try await admin(visitor, notice: "Recorded a refund of \(Money.format(refund.amountMinor, refund.currency)) of payment \(reference)\(ended).")
    }

    /// `GET /account/admin/export?month=YYYY-MM`: the month's payments and refunds as
    /// CSV (the same as `ferry payment export`).
    func exportTransactions(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedInAdmin(request, context: context)
        guard let billing else { throw PortalError.badRequest("Billing is not enabled on this Ferry.") }
        let (month, entries) = try await billing.service.transactions(month: request.uri.queryParameters["month"].map(String.init))
        log("admin-export", by: visitor, context: context, ["month": "\(month)"])
        let csv = BookEntry.csv(entries, timeZone: billing.service.calendar.timeZone)
        var headers = PageRenderer.pageHeaders
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"ferry-transactions-\(month).csv\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: csv)))
    }
}
