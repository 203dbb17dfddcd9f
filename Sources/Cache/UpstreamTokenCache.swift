import Foundation
import OCI
import Synchronization

/// The `Authorization` header values an upstream accepted, per token scope, kept until
/// they expire; and the upstream's last challenge, so a new scope can fetch its token
/// at once instead of paying a 401 round trip first.
final class UpstreamTokenCache: Sendable {
    struct Entry: Sendable {
        let authorization: String
        let expires: Date?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var challenge: AuthChallenge?
    }

    private let state = Mutex(State())
    let now: @Sendable () -> Date
    /// Token fetches in flight, so concurrent requests for one scope share one.
    let flights = SingleFlight<String, Entry>()

    init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// The cached header for `scope`, unless it has expired.
    func authorization(for scope: String) -> String? {
        let now = now()
        return state.withLock { state in
            guard let entry = state.entries[scope] else { return nil }
            if let expires = entry.expires, expires <= now {
                state.entries[scope] = nil
                return nil
            }
            return entry.authorization
        }
    }

    /// Remembers a header for `scope`.
    func store(_ entry: Entry, for scope: String) {
        state.withLock { state in
            if state.entries.count > 10_000 { state.entries.removeAll() }
            state.entries[scope] = entry
        }
    }

    /// Drops a header the upstream refused.
    func invalidate(scope: String) {
        state.withLock { $0.entries[scope] = nil }
    }

    /// The last challenge the upstream sent.
    var challenge: AuthChallenge? {
        get { state.withLock { $0.challenge } }
        set { state.withLock { $0.challenge = newValue } }
    }

    /// When a token that the realm said lives `expiresIn` seconds should be dropped:
    /// a little early, so it never expires in flight.
    func expiry(issuedNow expiresIn: Int) -> Date {
        let lifetime = max(expiresIn, 1)
        let margin = min(30, lifetime / 5)
        return now().addingTimeInterval(TimeInterval(lifetime - margin))
    }
}
