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
    public var id: Int64
    /// `ferry_<id>_<10 random characters>`.
    public var orderNumber: String
    public var userID: Int64
    public var username: String
    public var planID: Int64
    public var planName: String
    public var months: Int
    public var amountMinor: Int64
    public var currency: String
    /// `alipay` or `stripe`.
    public var provider: String
    public var status: OrderStatus
    public var createdAt: Date
    public var expiresAt: Date
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
    public var userID: Int64
    public var username: String
    public var plan: Plan
    public var months: Int
    public var provider: String
    public var createdAt: Date
    public var expiresAt: Date
}
