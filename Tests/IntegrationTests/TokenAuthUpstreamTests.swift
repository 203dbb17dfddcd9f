import Cache
import Foundation
import Testing

/// Ferry pulling from a CNCF registry that demands bearer tokens from a realm: the
/// token dance with upstream credentials, tokens cached per scope. Serialized: the
/// realm listens on the fixed port the registry was configured with.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)), .serialized)
struct TokenAuthUpstreamTests {
    @Test func pullsWithCredentialsAndCachesTheTokenPerScope() async throws {
        let environment = try TestEnvironment.require()
        let tokens = try TestTokenServer(environment: environment)
        try await tokens.run {
            let credentials = UpstreamConfiguration.Credentials(username: TestTokenServer.username, password: TestTokenServer.password)
            // The test realm speaks plain http: that must be allowed explicitly, scheme and all.
            let realm = "http://127.0.0.1:\(environment.tokenPort)"
            try await withFerry(
                upstreams: [testUpstream(id: "secure", registry: "secure.test", url: environment.tokenUpstream.absoluteString, credentials: credentials, trustedRealms: [realm])],
                defaultID: "secure"
            ) { ferry in
                let first = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/small:v1", to: temporaryDirectory("token"))
                #expect(first.succeeded, "\(first.error)")
                let expected = try environment.layoutManifestDigest("small")
                let multi = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/multi:v1", to: temporaryDirectory("token-multi"), all: true)
                #expect(multi.succeeded, "\(multi.error)")
                let again = temporaryDirectory("token-again")
                _ = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/small:v1", to: again)
                #expect(PulledImage(directory: again).manifestDigest == expected)
            }
            let requests = tokens.requests
            #expect(requests.allSatisfy { $0.authenticated })
            // One token per repository scope, however many requests the pulls made.
            #expect(requests.filter { $0.scope == "repository:ferry/small:pull" }.count == 1)
            #expect(requests.filter { $0.scope == "repository:ferry/multi:pull" }.count == 1)
        }
    }

    @Test func withoutCredentialsTheUpstreamRefusesAndTheClientGetsAnError() async throws {
        let environment = try TestEnvironment.require()
        let tokens = try TestTokenServer(environment: environment)
        try await tokens.run {
            try await withFerry(
                upstreams: [testUpstream(id: "secure", registry: "secure.test", url: environment.tokenUpstream.absoluteString)],
                defaultID: "secure"
            ) { ferry in
                let result = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/small:v1", to: temporaryDirectory("token-anon"))
                #expect(!result.succeeded)
                #expect(result.error.contains("not found") || result.error.contains("unknown") || result.error.contains("denied"), "\(result.error)")
            }
            #expect(tokens.requests.contains { !$0.authenticated })
        }
    }
}
