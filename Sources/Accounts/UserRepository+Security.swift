import Foundation

/// What a `UserRepository` keeps for the controls of the 2026-12-04 security review:
/// ending every credential of a user at once, the places a user's password login
/// succeeded from (so guesses from elsewhere never lock them out there), and bounds on
/// what one user can accumulate.
public protocol CredentialSafetyStore: Sendable {
    /// Revokes, in one transaction, every access token, mirror key and refresh token of
    /// the user ("sign out everywhere" and a password change, when asked to).
    func revokeCredentials(userID: Int64, now: Date) async throws

    /// Records that a password login of the user succeeded from `place` (a client
    /// network such as `net:203.0.113.7`, or a browser's `device:<hash>`).
    func recordLoginPlace(userID: Int64, place: String, now: Date) async throws
    /// Whether a password login of the user named `username` succeeded from one of
    /// `places` at or after `since`.
    func isKnownLoginPlace(username: String, places: [String], since: Date) async throws -> Bool
    /// Forgets a user's places last used before `before`, keeping at most `keeping` of
    /// the rest (the most recent).
    func pruneLoginPlaces(userID: Int64, before: Date, keeping: Int) async throws

    /// Ends the user's oldest portal sessions beyond the newest `keepingNewest`.
    func pruneSessions(userID: Int64, keepingNewest: Int) async throws
    /// Deletes the user's access tokens and mirror keys that were revoked, or expired,
    /// before `before` (they no longer need listing).
    func deleteDeadCredentials(userID: Int64, before: Date) async throws
}
