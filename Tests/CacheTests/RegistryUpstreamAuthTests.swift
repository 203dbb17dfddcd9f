import AsyncHTTPClient
import FerryTestSupport
import Foundation
import Testing

@testable import Cache

@Suite struct RegistryUpstreamAuthTests {
    func withUpstream(url: String, trusted: [String] = [], _ body: (RegistryUpstream) throws -> Void) throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? client.syncShutdown() }
        let configuration = UpstreamConfiguration(
            id: "x", registry: "x.test", url: URL(string: url)!,
            credentials: .init(username: "u", password: "p"), trustedRealmHosts: trusted
        )
        try body(RegistryUpstream(configuration: configuration, client: client, responseTimeout: .seconds(5), logger: testLogger))
    }

    @Test func credentialsGoOnlyToHTTPSRealmsOnTheUpstreamsHostOrTrustedRealms() throws {
        try withUpstream(url: "https://registry-1.docker.io", trusted: ["auth.docker.io"]) { upstream in
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://auth.docker.io/token")!))
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://registry-1.docker.io/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://auth.evil.example/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://docker.io.evil.example/token")!))
        }
        try withUpstream(url: "https://registry.internal", trusted: ["sso.corp.example"]) { upstream in
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://sso.corp.example/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://other.corp.example/token")!))
        }
        // Another tenant under the same public suffix is not the same site.
        try withUpstream(url: "https://corp.azurecr.io") { upstream in
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://corp.azurecr.io/oauth2/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://attacker.azurecr.io/oauth2/token")!))
        }
        try withUpstream(url: "https://europe-docker.pkg.dev") { upstream in
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://evil.pkg.dev/token")!))
        }
        // Never over plain http, not even to the upstream's own host.
        try withUpstream(url: "http://127.0.0.1:5000", trusted: ["127.0.0.1"]) { upstream in
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "http://127.0.0.1:5001/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "http://10.0.0.1/token")!))
        }
        try withUpstream(url: "https://registry.internal") { upstream in
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "http://registry.internal/token")!))
        }
        // ...unless the operator lists that exact http realm, scheme and port included.
        try withUpstream(url: "http://registry.lan:5000", trusted: ["http://registry.lan:5001"]) { upstream in
            #expect(upstream.realmMayReceiveCredentials(URL(string: "http://registry.lan:5001/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "http://registry.lan:5002/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "http://evil.lan:5001/token")!))
        }
    }

    /// Review H3: the upstream's own host on another port can be another service.
    @Test func aRealmOnTheUpstreamsHostMustUseItsPort() throws {
        try withUpstream(url: "https://registry.example", trusted: ["auth.example"]) { upstream in
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://registry.example/token")!))
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://registry.example:443/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://registry.example:8443/token")!))  // before: true
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://auth.example:8443/token")!))
        }
        try withUpstream(url: "https://registry.example:5443") { upstream in
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://registry.example:5443/token")!))
            #expect(!upstream.realmMayReceiveCredentials(URL(string: "https://registry.example/token")!))
        }
        try withUpstream(url: "https://registry.example", trusted: ["https://auth.example:8443"]) { upstream in
            #expect(upstream.realmMayReceiveCredentials(URL(string: "https://auth.example:8443/token")!), "a port listed with the scheme")
        }
    }

    @Test func tokensAreCachedPerScopeUntilShortlyBeforeTheyExpire() {
        let clock = TestClock()
        let cache = UpstreamTokenCache(now: { clock.now })
        cache.store(.init(authorization: "Bearer a", expires: cache.expiry(issuedNow: 300)), for: "repository:a:pull")
        #expect(cache.authorization(for: "repository:a:pull") == "Bearer a")
        #expect(cache.authorization(for: "repository:b:pull") == nil)
        clock.advance(by: 269)
        #expect(cache.authorization(for: "repository:a:pull") == "Bearer a")
        clock.advance(by: 2)
        #expect(cache.authorization(for: "repository:a:pull") == nil)
    }

    @Test func shortLivedTokensKeepMostOfTheirLife() {
        let clock = TestClock()
        let cache = UpstreamTokenCache(now: { clock.now })
        let expiry = cache.expiry(issuedNow: 60)
        #expect(expiry.timeIntervalSince(clock.now) == 48)
    }
}
