import Testing
import OCI

@Suite struct AuthChallengeTests {
    static let dockerHub = #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#

    // MARK: - Parsing

    @Test func parsesDockerHubChallenge() throws {
        let challenge = try #require(AuthChallenge.parse(Self.dockerHub))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.realm == "https://auth.docker.io/token")
        #expect(challenge.service == "registry.docker.io")
        #expect(challenge.scope == "repository:library/nginx:pull")
        #expect(challenge.parameters == [
            "realm": "https://auth.docker.io/token",
            "service": "registry.docker.io",
            "scope": "repository:library/nginx:pull",
        ])
    }

    @Test func parsesBasicRealm() throws {
        let challenge = try #require(AuthChallenge.parse(#"Basic realm="Registry Realm""#))
        #expect(challenge.scheme == "basic")
        #expect(challenge.realm == "Registry Realm")
        #expect(challenge.service == nil)
        #expect(challenge.scope == nil)
        #expect(challenge.parameters.count == 1)
    }

    @Test func parsesErrorParameterOfInsufficientScope() throws {
        let header = #"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:owner/app:pull",error="insufficient_scope""#
        let challenge = try #require(AuthChallenge.parse(header))
        #expect(challenge.parameters["error"] == "insufficient_scope")
        #expect(challenge.scope == "repository:owner/app:pull")
    }

    @Test func schemeAndParameterNamesAreCaseInsensitive() throws {
        let challenge = try #require(AuthChallenge.parse(#"BEARER Realm="R",SERVICE="S",ScOpE="Repository:A:Pull""#))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.realm == "R")
        #expect(challenge.service == "S")
        // Values keep their case.
        #expect(challenge.scope == "Repository:A:Pull")
    }

    @Test func unescapesQuotedPairs() throws {
        let header = #"Bearer realm="say \"hi\"",service="back\\slash",scope="\a\b""#
        let challenge = try #require(AuthChallenge.parse(header))
        #expect(challenge.realm == #"say "hi""#)
        #expect(challenge.service == #"back\slash"#)
        #expect(challenge.scope == "ab")
    }

    @Test func quotedValuesMayContainCommasEqualsAndSpaces() throws {
        let challenge = try #require(AuthChallenge.parse(#"Bearer scope="repository:a:pull,push",realm="a = b, c""#))
        #expect(challenge.scope == "repository:a:pull,push")
        #expect(challenge.realm == "a = b, c")
    }

    @Test func parsesUnquotedValues() throws {
        let challenge = try #require(AuthChallenge.parse("Bearer realm=https://auth.example.com:8443/token,service=registry.example.com,scope=repository:a/b:pull"))
        #expect(challenge.realm == "https://auth.example.com:8443/token")
        #expect(challenge.service == "registry.example.com")
        #expect(challenge.scope == "repository:a/b:pull")
    }

    @Test func toleratesWhitespaceAroundSeparators() throws {
        let challenge = try #require(AuthChallenge.parse("  Bearer \t realm = \"r\" ,\tservice=\"s\" , scope =\"x\"  "))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.parameters == ["realm": "r", "service": "s", "scope": "x"])
    }

    @Test func stopsAtTheSecondChallenge() throws {
        let challenge = try #require(AuthChallenge.parse(#"Bearer realm="a",service="b", Basic realm="c""#))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.parameters == ["realm": "a", "service": "b"])

        let basicFirst = try #require(AuthChallenge.parse(#"Basic realm="c", Bearer realm="a",service="b""#))
        #expect(basicFirst.scheme == "basic")
        #expect(basicFirst.parameters == ["realm": "c"])
    }

    @Test func schemeWithoutParameters() throws {
        let challenge = try #require(AuthChallenge.parse("Bearer"))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.parameters.isEmpty)
        #expect(challenge.realm == nil)
    }

    @Test func trailingCommaIsIgnored() throws {
        let challenge = try #require(AuthChallenge.parse(#"Bearer realm="a","#))
        #expect(challenge.parameters == ["realm": "a"])
    }

    @Test func laterDuplicateParameterWins() throws {
        let challenge = try #require(AuthChallenge.parse(#"Bearer realm="first",REALM="second""#))
        #expect(challenge.realm == "second")
    }

    @Test func keepsNonASCIIInQuotedValues() throws {
        let challenge = try #require(AuthChallenge.parse("Bearer realm=\"h\u{e9}llo \u{1F433}\""))
        #expect(challenge.realm == "h\u{e9}llo \u{1F433}")
    }

    @Test(arguments: [
        "",
        " ",
        "\t",
        ",",
        "=",
        "=realm",
        #""Bearer""#,
        #"Bearer realm="#,
        #"Bearer realm= "#,
        #"Bearer realm="unterminated"#,
        #"Bearer realm="ends in backslash\"#,
        #"Bearer realm="a",service="#,
        #"Bearer realm=@"#,
        #"Bearer realm=(x)"#,
        "\u{1F433} realm=\"x\"",
        "{\"json\": true}",
    ])
    func garbageIsRejected(_ header: String) {
        #expect(AuthChallenge.parse(header) == nil)
    }

    @Test func oversizedHeaderIsRejected() {
        let atLimit = "Bearer realm=\"" + String(repeating: "a", count: 8192 - 15) + "\""
        #expect(atLimit.utf8.count == 8192)
        #expect(AuthChallenge.parse(atLimit)?.realm?.count == 8192 - 15)
        let overLimit = "Bearer realm=\"" + String(repeating: "a", count: 8192 - 14) + "\""
        #expect(overLimit.utf8.count == 8193)
        #expect(AuthChallenge.parse(overLimit) == nil)
    }

    // MARK: - Rendering

    @Test func headerValueReproducesDockerHubHeader() throws {
        let challenge = try #require(AuthChallenge.parse(Self.dockerHub))
        #expect(challenge.headerValue() == Self.dockerHub)
    }

    @Test func headerValueOrdersKnownParametersFirstThenSortsTheRest() {
        let challenge = AuthChallenge(scheme: "bearer", parameters: [
            "zeta": "z", "error": "e", "alpha": "a", "scope": "s", "service": "v", "realm": "r",
        ])
        #expect(challenge.headerValue() == #"Bearer realm="r",service="v",scope="s",error="e",alpha="a",zeta="z""#)
    }

    @Test func headerValueCapitalisesKnownSchemes() {
        #expect(AuthChallenge(scheme: "BEARER", parameters: [:]).headerValue() == "Bearer")
        #expect(AuthChallenge(scheme: "basic", parameters: ["realm": "x"]).headerValue() == #"Basic realm="x""#)
        #expect(AuthChallenge(scheme: "Digest", parameters: ["realm": "x"]).headerValue() == #"digest realm="x""#)
    }

    @Test func headerValueEscapesQuotesAndBackslashes() {
        let challenge = AuthChallenge(scheme: "Bearer", parameters: ["realm": #"a"b\c"#])
        #expect(challenge.headerValue() == #"Bearer realm="a\"b\\c""#)
    }

    /// Found by fuzzing: a `"` or `\` followed by a combining mark is one Character with
    /// it, so escaping Characters missed them and the value ended early.
    @Test func headerValueEscapesQuotesAndBackslashesThatCarryCombiningMarks() {
        let challenge = AuthChallenge(scheme: "bearer", parameters: ["realm": "a\"\u{301}b\\\u{301}c", "service": "\\\u{308}"])
        #expect(challenge.headerValue() == "Bearer realm=\"a\\\"\u{301}b\\\\\u{301}c\",service=\"\\\\\u{308}\"")
        #expect(AuthChallenge.parse(challenge.headerValue()) == challenge)
    }

    @Test func initLowercasesScheme() {
        let challenge = AuthChallenge(scheme: "BeArEr", parameters: ["realm": "x"])
        #expect(challenge.scheme == "bearer")
        #expect(challenge == AuthChallenge(scheme: "bearer", parameters: ["realm": "x"]))
        #expect(challenge != AuthChallenge(scheme: "basic", parameters: ["realm": "x"]))
    }

    @Test(arguments: [
        AuthChallenge(scheme: "bearer", parameters: ["realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/nginx:pull"]),
        AuthChallenge(scheme: "basic", parameters: ["realm": "Registry Realm"]),
        AuthChallenge(scheme: "bearer", parameters: [:]),
        AuthChallenge(scheme: "bearer", parameters: ["realm": #"quote " and backslash \ and \" both"#]),
        AuthChallenge(scheme: "bearer", parameters: ["realm": "a, b = c", "scope": "repository:a:pull,push"]),
        AuthChallenge(scheme: "bearer", parameters: ["realm": "", "service": "s"]),
        AuthChallenge(scheme: "bearer", parameters: ["realm": "h\u{e9}llo", "x-custom": "1", "another": "2", "error": "invalid_token"]),
        AuthChallenge(scheme: "negotiate", parameters: ["realm": "x"]),
    ])
    func headerValueRoundTrips(_ challenge: AuthChallenge) {
        #expect(AuthChallenge.parse(challenge.headerValue()) == challenge)
    }
}
