import Foundation

/// The full credential check, and the places where a user's password login succeeded.
extension Authenticator {
    /// What the full check found.
    struct CheckResult {
        let outcome: Outcome
        /// For a password, the stored hash it matched (a password change ends the cached login).
        var passwordHash: String?
        /// Whether the username named an existing user (only then is it logged).
        var userExists = true
    }

    /// The full check: an access token by its hash, otherwise the password with Argon2
    /// on `client`'s share of the hashing pool.
    func check(username: String, secret: String, now: Date, client: PasswordCheckClient) async throws -> CheckResult {
        if SecretToken.looksLikeAccessToken(secret) {
            guard let (token, user) = try await users.accessToken(secretHash: SecretToken.hash(secret)),
                  user.username == username, token.isUsable(at: now)
            else { return CheckResult(outcome: .rejected) }
            guard user.status == .active else { return CheckResult(outcome: .suspended("account \(user.username) is suspended")) }
            try await users.recordAccessTokenUse(id: token.id, now: now)
            return CheckResult(outcome: .authenticated(user, via: .accessToken(id: token.id)))
        }
        guard let user = try await users.user(named: username) else {
            _ = try await hasher.verify(secret, against: decoyHash, for: client)
            return CheckResult(outcome: .rejected, userExists: false)
        }
        switch try await hasher.verify(secret, against: user.passwordHash, for: client) {
        case .mismatch:
            return CheckResult(outcome: .rejected)
        case .match(let needsRehash):
            guard user.status == .active else { return CheckResult(outcome: .suspended("account \(user.username) is suspended")) }
            var storedHash = user.passwordHash
            if needsRehash {
                storedHash = try await hasher.hash(secret)
                try await users.updatePasswordHash(userID: user.id, passwordHash: storedHash, now: now)
                logger.info("password hash upgraded", metadata: ["user": "\(username)", "parameters": "\(hasher.parameters)"])
            }
            return CheckResult(outcome: .authenticated(user, via: .password(epoch: user.passwordEpoch)), passwordHash: storedHash)
        }
    }

    // MARK: - Known places

    /// The places a login comes from: its client network and, from the portal, the
    /// browser's device cookie (by its hash; the cookie itself is never stored).
    static func places(clientAddress: String?, device: String?) -> [String] {
        var places: [String] = []
        if let clientAddress { places.append("net:\(clientAddress)") }
        if let device, !device.isEmpty, device.utf8.count <= 128 { places.append("device:\(hex(SecretToken.hash(device)))") }
        return places
    }

    /// Whether a password login of `username` succeeded from one of `places` within
    /// `knownPlaceLifetime`. Answers are remembered for a minute (a locked name under a
    /// flood is asked about again and again).
    func isKnownPlace(username: String, places: [String], now: Date) async throws -> Bool {
        guard !places.isEmpty else { return false }
        let key = "\(username)|\(places.joined(separator: "|"))"
        if let answer = placeAnswers.withLock({ $0[key] }), now.timeIntervalSince(answer.checked) < 60 { return answer.known }
        let known = try await users.isKnownLoginPlace(username: username, places: places, since: now.addingTimeInterval(-knownPlaceLifetime))
        placeAnswers.withLock { answers in
            if answers.count > 50_000 { answers.removeAll() }
            answers[key] = (known, now)
        }
        return known
    }

    /// Records that `user`'s password worked from `places`: written at most once a day
    /// per place; a failed write is logged, never fails the login.
    func remember(_ places: [String], of user: User, now: Date) async {
        for place in places {
            let key = "\(user.username)|\(place)"
            let fresh = placeAnswers.withLock { answers in
                if let answer = answers["written:\(key)"], answer.known, now.timeIntervalSince(answer.checked) < 86400 { return true }
                if answers.count > 50_000 { answers.removeAll() }
                answers["written:\(key)"] = (true, now)
                answers[key] = (true, now)
                return false
            }
            guard !fresh else { continue }
            do {
                try await users.recordLoginPlace(userID: user.id, place: place, now: now)
                try await users.pruneLoginPlaces(userID: user.id, before: now.addingTimeInterval(-knownPlaceLifetime), keeping: Self.placesPerUser)
            } catch {
                logger.warning("cannot record where a login succeeded", metadata: ["user": "\(user.username)", "error": "\(error)"])
            }
        }
        // The places are asked about together: that answer is "known" from now on.
        placeAnswers.withLock { $0["\(user.username)|\(places.joined(separator: "|"))"] = (true, now) }
    }

    /// Places remembered per user (the most recent).
    static let placesPerUser = 50
}
