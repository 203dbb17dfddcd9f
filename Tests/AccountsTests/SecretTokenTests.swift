import Accounts
import Testing

@Suite struct SecretTokenTests {
    @Test func accessTokensHaveAFixedRecognisableShape() {
        let token = SecretToken.makeAccessToken()
        #expect(token.hasPrefix("ferry_pat_"))
        #expect(token.count == 53)
        #expect(SecretToken.looksLikeAccessToken(token))
        #expect(!SecretToken.looksLikeAccessToken("ferry_pat_short"))
        #expect(!SecretToken.looksLikeAccessToken("correct horse battery staple"))
        #expect(token.dropFirst(10).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(SecretToken.makeAccessToken() != token)
    }

    @Test func mirrorKeysAreDNSLabels() {
        let key = SecretToken.makeMirrorKey()
        #expect(key.count == 52)
        #expect(key.count <= 63)
        #expect(key.allSatisfy { ("a"..."z").contains($0) || ("2"..."7").contains($0) })
    }

    @Test func hashesAreSHA256() {
        #expect(SecretToken.hash("abc").count == 32)
        #expect(SecretToken.hash("abc") == SecretToken.hash("abc"))
        #expect(SecretToken.hash("abc") != SecretToken.hash("abd"))
    }

    @Test func generatedPasswordsPassThePasswordRules() throws {
        for _ in 0..<20 {
            try User.validate(password: SecretToken.makePassword(), username: "alice")
        }
    }
}
