import Foundation

/// Where an order stands.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for the subscriber to pay.
    case created
    /// Paid: the payment was recorded.
    case paid
    /// The provider closed the trade unpaid.
    case closed
}

/// A subscriber's order: the plan, months, amount and currency frozen when they pressed
/// Renew or Switch, and the number the provider echoes back (Alipay `out_trade_no`,
/// Stripe `client_reference_id`).
public struct Order: Sendable, Equatable, Codable {
    /// The order's id.
    public var id: Int64
    /// `ferry_<id>_<10 random characters>`.
    public var orderNumber: String
    /// Who ordered.
    public var userID: Int64
    /// Their name when they ordered.
    public var username: String
    /// The plan ordered.
    public var planID: Int64
    /// The plan's name.
    public var planName: String
    /// Months ordered.
    public var months: Int
    /// The price of those months, frozen, in minor units.
    public var amountMinor: Int64
    /// The plan's currency.
    public var currency: String
    /// `alipay` or `stripe`.
    public var provider: String
    /// Created, paid or closed.
    public var status: OrderStatus
    /// When it was created.
    public var createdAt: Date
    /// Until when it may be paid.
    public var expiresAt: Date
    /// When it was paid (the provider says).
    public var paidAt: Date?

    /// Created, not paid, and not expired at `now`.
    public func isOpen(at now: Date) -> Bool {
        status == .created && expiresAt > now
    }

    /// `created`, `expired`, `paid` or `closed` at `now`.
    public func state(at now: Date) -> String {
        status == .created && expiresAt <= now ? "expired" : status.rawValue
    }
}

/// An order about to be created.
public struct OrderDraft: Sendable {
    /// Who ordered.
    public var userID: Int64
    /// Their name when they ordered.
    public var username: String
    /// The plan, with its price today.
    public var plan: Plan
    /// Months ordered.
    public var months: Int
    /// `alipay` or `stripe`.
    public var provider: String
    /// When it was created.
    public var createdAt: Date
    /// Until when it may be paid.
    public var expiresAt: Date
}
