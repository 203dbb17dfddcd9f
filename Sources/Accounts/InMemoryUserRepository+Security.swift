import Foundation

/// The security-review parts of the in-memory repository (see `CredentialSafetyStore`).
extension InMemoryUserRepository {
    /// A user's portal sessions, oldest first (tests check how many are kept).
    public func sessions(userID: Int64) -> [PortalSession] {
        state.withLock { $0.sessions.values.map(\.session).filter { $0.userID == userID }.sorted { $0.id < $1.id } }
    }

    public func recordMirrorKeyUse(id: Int64, address: String?, now: Date) async throws {
        state.withLock { state in
            state.mirrorKeys[id]?.key.lastUsedAt = now
            state.mirrorKeys[id]?.key.lastUsedAddress = address
        }
    }

    public func revokeCredentials(userID: Int64, now: Date) async throws {
        state.withLock { state in
            for (id, entry) in state.accessTokens where entry.token.userID == userID && entry.token.revokedAt == nil {
                state.accessTokens[id]?.token.revokedAt = now
            }
            for (id, entry) in state.mirrorKeys where entry.key.userID == userID && entry.key.revokedAt == nil {
                state.mirrorKeys[id]?.key.revokedAt = now
            }
            for (id, entry) in state.refreshTokens where entry.token.userID == userID && entry.token.revokedAt == nil {
                state.refreshTokens[id]?.token.revokedAt = now
            }
        }
    }

    public func recordLoginPlace(userID: Int64, place: String, now: Date) async throws {
        state.withLock { state in
            guard state.users[userID] != nil else { return }
            state.loginPlaces[userID, default: [:]][place] = now
        }
    }

    public func isKnownLoginPlace(username: String, places: [String], since: Date) async throws -> Bool {
        state.withLock { state in
            guard let user = state.users.values.first(where: { $0.username == username }), let known = state.loginPlaces[user.id] else { return false }
            return places.contains { known[$0].map { $0 >= since } ?? false }
        }
    }

    public func pruneLoginPlaces(userID: Int64, before: Date, keeping: Int) async throws {
        state.withLock { state in
            guard let known = state.loginPlaces[userID] else { return }
            let kept = known.filter { $0.value >= before }.sorted { $0.value > $1.value }.prefix(max(0, keeping))
            state.loginPlaces[userID] = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
    }

    public func pruneSessions(userID: Int64, keepingNewest: Int) async throws {
        state.withLock { state in
            let sessions = state.sessions.values.map(\.session).filter { $0.userID == userID }.sorted { $0.id > $1.id }
            for session in sessions.dropFirst(max(0, keepingNewest)) { state.sessions[session.id] = nil }
        }
    }

    public func deleteDeadCredentials(userID: Int64, before: Date) async throws {
        state.withLock { state in
            state.accessTokens = state.accessTokens.filter { _, entry in
                let token = entry.token
                guard token.userID == userID else { return true }
                return !((token.revokedAt.map { $0 < before } ?? false) || (token.expiresAt.map { $0 < before } ?? false))
            }
            state.mirrorKeys = state.mirrorKeys.filter { _, entry in
                let key = entry.key
                guard key.userID == userID else { return true }
                return !((key.revokedAt.map { $0 < before } ?? false) || (key.expiresAt.map { $0 < before } ?? false))
            }
        }
    }
}
