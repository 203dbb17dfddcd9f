import Foundation
import PostgresNIO

extension PostgresBillingStore: LimitStateStore {
    public func limitState(userID: Int64) async throws -> LimitState? {
        try await run {
            let rows = try await client.query(
                "SELECT bucket_tokens, bucket_updated_at, window_start, window_count FROM limit_windows WHERE user_id = \(userID)",
                logger: logger
            )
            for try await (tokens, updated, windowStart, count) in rows.decode((Double, Date, Date?, Int).self) {
                return LimitState(bucketTokens: tokens, bucketUpdated: updated, windowStart: windowStart, windowCount: count)
            }
            return nil
        }
    }

    /// Upserts every state in one statement (arrays unnested). Users deleted meanwhile
    /// are skipped rather than failing the whole write.
    public func saveLimitStates(_ states: [Int64: LimitState], now: Date) async throws {
        guard !states.isEmpty else { return }
        let entries = Array(states)
        let userIDs = entries.map(\.key)
        let tokens = entries.map(\.value.bucketTokens)
        let updated = entries.map(\.value.bucketUpdated)
        // A closed window is sent as a count of 0 (and any date), stored as NULL.
        let windowStarts = entries.map { $0.value.windowStart ?? $0.value.bucketUpdated }
        let windowCounts = entries.map { $0.value.windowStart == nil ? 0 : $0.value.windowCount }
        try await run {
            _ = try await client.query(
                """
                INSERT INTO limit_windows (user_id, bucket_tokens, bucket_updated_at, window_start, window_count, updated_at)
                SELECT s.user_id, s.tokens, s.updated, CASE WHEN s.count > 0 THEN s.window_start END, s.count, \(now)
                FROM unnest(\(userIDs)::BIGINT[], \(tokens)::DOUBLE PRECISION[], \(updated)::TIMESTAMPTZ[], \(windowStarts)::TIMESTAMPTZ[], \(windowCounts)::INTEGER[])
                     AS s (user_id, tokens, updated, window_start, count)
                JOIN users u ON u.id = s.user_id
                ON CONFLICT (user_id) DO UPDATE SET
                    bucket_tokens = EXCLUDED.bucket_tokens, bucket_updated_at = EXCLUDED.bucket_updated_at,
                    window_start = EXCLUDED.window_start, window_count = EXCLUDED.window_count, updated_at = EXCLUDED.updated_at
                """,
                logger: logger
            )
        }
    }
}
