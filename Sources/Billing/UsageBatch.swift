import Foundation

/// What usage rows are keyed by: a day in the operator's time zone, a user, an
/// upstream and a repository.
public struct UsageKey: Sendable, Hashable, Codable {
    public let day: CalendarDay
    public let userID: Int64
    public let upstream: String
    public let repository: String

    /// Creates a key.
    public init(day: CalendarDay, userID: Int64, upstream: String, repository: String) {
        self.day = day
        self.userID = userID
        self.upstream = upstream
        self.repository = repository
    }
}

/// Counters of one usage row.
public struct UsageCounts: Sendable, Equatable, Codable {
    public var requests: Int64 = 0
    public var manifestPulls: Int64 = 0
    public var blobPulls: Int64 = 0
    public var bytesServed: Int64 = 0
    /// Of `bytesServed`, those served from the cache.
    public var hitBytes: Int64 = 0

    /// Creates counters.
    public init(requests: Int64 = 0, manifestPulls: Int64 = 0, blobPulls: Int64 = 0, bytesServed: Int64 = 0, hitBytes: Int64 = 0) {
        self.requests = requests
        self.manifestPulls = manifestPulls
        self.blobPulls = blobPulls
        self.bytesServed = bytesServed
        self.hitBytes = hitBytes
    }

    mutating func add(_ other: UsageCounts) {
        requests += other.requests
        manifestPulls += other.manifestPulls
        blobPulls += other.blobPulls
        bytesServed += other.bytesServed
        hitBytes += other.hitBytes
    }
}

/// A client address seen for a user on a day.
public struct AddressKey: Sendable, Hashable, Codable {
    public let day: CalendarDay
    public let userID: Int64
    public let address: String
}

/// Upstream bytes fetched on a day.
public struct UpstreamDayKey: Sendable, Hashable, Codable {
    public let day: CalendarDay
    public let upstream: String
}

/// Usage gathered in memory between two flushes. A batch gets its id when it is first
/// written and keeps it through retries, so PostgreSQL applies it exactly once.
public struct UsageBatch: Sendable, Equatable {
    public let id: UUID
    public var rows: [UsageKey: UsageCounts] = [:]
    public var addresses: Set<AddressKey> = []
    public var upstreamBytes: [UpstreamDayKey: Int64] = [:]

    /// An empty batch.
    public init(id: UUID = UUID()) {
        self.id = id
    }

    public var isEmpty: Bool { rows.isEmpty && addresses.isEmpty && upstreamBytes.isEmpty }

    /// Bytes served to `userID` on or after `day` in this batch.
    public func bytesServed(userID: Int64, from day: CalendarDay) -> Int64 {
        rows.reduce(0) { total, entry in
            entry.key.userID == userID && entry.key.day >= day ? total + entry.value.bytesServed : total
        }
    }
}
