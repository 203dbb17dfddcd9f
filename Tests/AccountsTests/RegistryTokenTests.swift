import Accounts
import Crypto
import FerryTestSupport
import Foundation
import JWTKit
import OCI
import Testing

@Suite struct RegistryTokenTests {
    let clock = TestClock()

    func makeService(keys: [SigningKey]? = nil) async throws -> RegistryTokenService {
        let service = RegistryTokenService(issuer: "ferry", service: "mirror.test", lifetime: 300)
        try await service.replaceKeys(keys ?? [try SigningKey.generate(now: clock.now)])
        return service
    }

    static func decodeSegment(_ segment: Substring) throws -> [String: Any] {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        let data = try #require(Data(base64Encoded: text))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func tokenHasTheRegistryClaimsAndHeader() async throws {
        let service = try await makeService()
        let access = [RegistryClaims.ResourceActions(type: "repository", name: "library/nginx", actions: ["pull"])]
        let issued = try await service.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: access, now: clock.now)
        let parts = issued.token.split(separator: ".")
        #expect(parts.count == 3)
        let header = try Self.decodeSegment(parts[0])
        #expect(header["alg"] as? String == "ES256")
        #expect(header["kid"] as? String == service.activeKey(at: clock.now)?.keyID)
        #expect((header["x5c"] as? [String])?.count == 1)
        let claims = try Self.decodeSegment(parts[1])
        #expect(claims["iss"] as? String == "ferry")
        #expect(claims["sub"] as? String == "alice")
        #expect(claims["aud"] as? String == "mirror.test")  // a string, not a list (registry 2.8)
        let exp = try #require(claims["exp"] as? Int)  // whole seconds (registry 2.8)
        #expect(exp == Int(clock.now.timeIntervalSince1970) + 300)
        #expect(claims["jti"] is String)
        let verified = try await service.verify(issued.token, now: clock.now)
        #expect(verified.access == access)
        #expect(verified.allows("pull", repository: "library/nginx"))
        #expect(!verified.allows("pull", repository: "library/redis"))
        #expect(!verified.allows("push", repository: "library/nginx"))
    }

    @Test func keyIDIsTheRFC7638Thumbprint() throws {
        let key = try SigningKey.generate(now: clock.now)
        let raw = key.privateKey.publicKey.x963Representation
        func b64url(_ data: some Sequence<UInt8>) -> String {
            Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let jwk = #"{"crv":"P-256","kty":"EC","x":"\#(b64url(raw[1...32]))","y":"\#(b64url(raw[33...64]))"}"#
        #expect(key.keyID == b64url(SHA256.hash(data: Data(jwk.utf8))))
        #expect(key.keyID.count == 43)
    }

    @Test func expiredNotYetValidAndWrongAudienceAreRejected() async throws {
        let service = try await makeService()
        let issued = try await service.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [], now: clock.now)
        await #expect(throws: TokenRejection.expired) { _ = try await service.verify(issued.token, now: clock.now.addingTimeInterval(300 + 31)) }
        _ = try await service.verify(issued.token, now: clock.now.addingTimeInterval(300 + 29))  // within the leeway
        await #expect(throws: TokenRejection.notYetValid) { _ = try await service.verify(issued.token, now: clock.now.addingTimeInterval(-60)) }
        let other = RegistryTokenService(issuer: "ferry", service: "other.test", lifetime: 300)
        try await other.replaceKeys([try #require(service.activeKey(at: clock.now))])
        await #expect(throws: TokenRejection.wrongAudience) { _ = try await other.verify(issued.token, now: clock.now) }
    }

    @Test func tamperedUnsignedAndHMACForgedTokensAreRejected() async throws {
        let service = try await makeService()
        let issued = try await service.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [], now: clock.now)
        let parts = issued.token.split(separator: ".").map(String.init)
        func b64url(_ object: [String: Any]) throws -> String {
            try JSONSerialization.data(withJSONObject: object).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        var claims = try Self.decodeSegment(Substring(parts[1]))
        claims["access"] = [["type": "repository", "name": "library/nginx", "actions": ["pull"]]]
        let tampered = "\(parts[0]).\(try b64url(claims)).\(parts[2])"
        await #expect(throws: TokenRejection.self) { _ = try await service.verify(tampered, now: clock.now) }

        let none = "\(try b64url(["alg": "none", "typ": "JWT"])).\(try b64url(claims))."
        await #expect(throws: TokenRejection.self) { _ = try await service.verify(none, now: clock.now) }

        // HS256 "signed" with the public key, the classic algorithm-confusion attack.
        let key = try #require(service.activeKey(at: clock.now))
        let header = try b64url(["alg": "HS256", "typ": "JWT", "kid": key.keyID])
        let input = "\(header).\(try b64url(claims))"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: key.privateKey.publicKey.x963Representation))
        let forged = input + "." + Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        await #expect(throws: TokenRejection.self) { _ = try await service.verify(forged, now: clock.now) }

        await #expect(throws: TokenRejection.malformed) { _ = try await service.verify("not-a-jwt", now: clock.now) }
    }

    @Test func rotatedOutKeysKeepVerifyingTheirTokens() async throws {
        let old = try SigningKey.generate(now: clock.now)
        let service = try await makeService(keys: [old])
        let oldToken = try await service.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [], now: clock.now)
        clock.advance(by: 60)
        let new = try SigningKey.generate(now: clock.now)
        try await service.replaceKeys([old, new])
        #expect(service.activeKey(at: clock.now)?.keyID == old.keyID)  // not before every server verifies it
        clock.advance(by: service.publishDelay)
        #expect(service.activeKey(at: clock.now)?.keyID == new.keyID)
        _ = try await service.verify(oldToken.token, now: clock.now)
        let newToken = try await service.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [], now: clock.now)
        #expect(newToken.token != oldToken.token)
        try await service.replaceKeys([new])
        await #expect(throws: TokenRejection.badSignature) { _ = try await service.verify(oldToken.token, now: clock.now) }
    }

    /// Two-phase rotation (issue 18): a rotated-in key verifies as soon as a server loads
    /// it and signs only `publishDelay` later, so a server that has not reloaded yet
    /// never refuses a token another server signed (measured before: 44 of 444
    /// cross-replica checks refused for about 11 s after `ferry keys rotate`).
    @Test func aRotatedInKeySignsOnlyOnceEveryServerVerifiesIt() async throws {
        let old = try SigningKey.generate(now: clock.now.addingTimeInterval(-86400))
        let signer = try await makeService(keys: [old])
        let lagging = try await makeService(keys: [old])
        #expect(signer.publishDelay == 75)  // 2.5 reloads of 30 s
        let new = try SigningKey.generate(now: clock.now)
        try await signer.replaceKeys([old, new])  // this server reloaded at once; the other has not
        var refused = 0
        var signedWith: Set<String> = []
        for _ in 0..<40 {  // every 2 s for 80 s; the lagging server reloads after 30 s
            if clock.now >= new.createdAt.addingTimeInterval(signer.reloadInterval), lagging.keyIDs.count == 1 {
                try await lagging.replaceKeys([old, new])
            }
            let issued = try await signer.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [], now: clock.now)
            signedWith.insert(try Self.decodeSegment(issued.token.split(separator: ".")[0])["kid"] as? String ?? "?")
            do { _ = try await lagging.verify(issued.token, now: clock.now) } catch { refused += 1 }
            clock.advance(by: 2)
        }
        #expect(refused == 0)  // before: every token signed with the new key until the reload
        #expect(signedWith == [old.keyID, new.keyID], "the new key took over within the run")
        #expect(RegistryTokenService(issuer: "ferry", service: "mirror.test", lifetime: 300).retention == 300 + 30 + 75)
    }

    /// A verified signature is remembered (the ES256 check dominated a cached manifest
    /// GET), but never past the keys it was checked with, nor past the token's expiry.
    @Test func rememberedVerificationsEndWithTheKeysAndTheTokensLifetime() async throws {
        let service = try await makeService()
        let issued = try await service.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [], now: clock.now)
        #expect(try await service.verify(issued.token, now: clock.now).sub == "alice")
        #expect(try await service.verify(issued.token, now: clock.now.addingTimeInterval(60)).sub == "alice")  // remembered
        await #expect(throws: TokenRejection.expired) { _ = try await service.verify(issued.token, now: clock.now.addingTimeInterval(300 + 31)) }
        try await service.replaceKeys([try SigningKey.generate(now: clock.now)])  // the old key revoked
        await #expect(throws: TokenRejection.badSignature) { _ = try await service.verify(issued.token, now: clock.now) }
    }

    @Test func keysSurviveAPEMRoundTrip() throws {
        let key = try SigningKey.generate(now: clock.now)
        let loaded = try SigningKey(privateKeyPEM: key.privateKeyPEM, certificatePEM: try key.certificatePEM, createdAt: key.createdAt)
        #expect(loaded.keyID == key.keyID)
        let other = try SigningKey.generate(now: clock.now)
        #expect(throws: (any Error).self) { try SigningKey(privateKeyPEM: key.privateKeyPEM, certificatePEM: try other.certificatePEM, createdAt: key.createdAt) }
    }

    @Test func grantIsTheIntersectionOfRequestedAndAllowed() throws {
        let requested = [
            try Scope(parsing: "repository:library/nginx:pull,push"),
            try Scope(parsing: "repository:library/nginx:pull"),
            try Scope(parsing: "repository:quay.io/coreos/etcd:pull"),
            try Scope(parsing: "repository:evil.example.com/x:pull"),
            try Scope(parsing: "repository:UPPER:pull"),
            try Scope(parsing: "repository:library/redis:push,delete"),
            try Scope(parsing: "registry:catalog:*"),
        ]
        let granted = ScopeGrant.grant(requested) { !$0.hasPrefix("evil.") }
        #expect(granted == [
            .init(type: "repository", name: "library/nginx", actions: ["pull"]),
            .init(type: "repository", name: "quay.io/coreos/etcd", actions: ["pull"]),
        ])
        #expect(ScopeGrant.grant([]) { _ in true } == [])
    }
}

@Suite struct SigningKeyRetirementTests {
    /// Security review F9: a rotated-out key is retired once its tokens have expired,
    /// without waiting for another rotation; a leaked key is revoked at once.
    @Test func rotatedOutKeysAreRetiredAfterOneTokenLifetime() async throws {
        let clock = TestClock()
        let repository = InMemorySigningKeyRepository()
        let first = try #require(try await repository.keysCreatingFirst(now: clock.now).first)
        clock.advance(by: 10 * 86400)
        let second = try await repository.rotate(now: clock.now, retention: 300)
        #expect(try await repository.allKeys().map(\.keyID) == [first.keyID, second.keyID])
        clock.advance(by: 301)
        try await repository.retireSuperseded(now: clock.now, retention: 300)
        #expect(try await repository.allKeys().map(\.keyID) == [second.keyID])

        let service = RegistryTokenService(issuer: "ferry", service: "mirror.test", lifetime: 300)
        try await service.replaceKeys([first])
        let forged = try await service.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [], now: clock.now)
        try await service.replaceKeys(try await repository.allKeys())
        await #expect(throws: TokenRejection.badSignature) { _ = try await service.verify(forged.token, now: clock.now) }

        let third = try await repository.rotate(now: clock.now, retention: 300)
        try await repository.revoke(keyID: second.keyID)
        #expect(try await repository.allKeys().map(\.keyID) == [third.keyID])
        await #expect(throws: AccountsError.self) { try await repository.revoke(keyID: third.keyID) }
        await #expect(throws: AccountsError.signingKeyNotFound("nope")) { try await repository.revoke(keyID: "nope") }
    }
}
