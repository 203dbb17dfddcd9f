import Accounts
import Foundation
import Testing

@Suite struct PasswordHashingTests {
    let cheap = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    @Test func recommendedParametersProduceAnArgon2idPHCString() async throws {
        let hasher = Argon2PasswordHasher()
        let hash = try await hasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        let phc = try #require(PHCString(hash))
        #expect(phc.parameters == .recommended)
        #expect(try await hasher.verify("correct horse battery staple", against: hash) == .match(needsRehash: false))
        #expect(try await hasher.verify("correct horse battery stapler", against: hash) == .mismatch)
    }

    @Test func saltsDifferAndWeakerHashesAskForARehash() async throws {
        let weak = Argon2PasswordHasher(parameters: cheap)
        let first = try await weak.hash("password-one")
        let second = try await weak.hash("password-one")
        #expect(first != second)
        let strong = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 2048, iterations: 2, parallelism: 1))
        #expect(try await strong.verify("password-one", against: first) == .match(needsRehash: true))
        #expect(try await weak.verify("password-one", against: first) == .match(needsRehash: false))
    }

    @Test(arguments: ["", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$v=19$m=x,t=1,p=1$a$b", "$argon2id$v=19$m=1024,t=1$a$b", "$bcrypt$12$abc"])
    func malformedHashesNeverMatch(_ stored: String) async throws {
        let hasher = Argon2PasswordHasher(parameters: cheap)
        #expect(try await hasher.verify("anything", against: stored) == .mismatch)
    }

    @Test func phcParsing() throws {
        let phc = try #require(PHCString("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2g"))
        #expect(phc.algorithm == "argon2id")
        #expect(phc.version == 19)
        #expect(phc.parameters == Argon2Parameters(memoryKiB: 65536, iterations: 3, parallelism: 4))
        #expect(PHCString("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ") == nil)
        #expect(PHCString("argon2id$v=19$m=1,t=1,p=1$a$b") == nil)
    }

    @Test func passwordRules() {
        #expect(throws: AccountsError.self) { try User.validate(password: "", username: "alice") }
        #expect(throws: AccountsError.self) { try User.validate(password: "short", username: "alice") }
        #expect(throws: AccountsError.self) { try User.validate(password: "aaaaaaaaaaaa", username: "alice") }
        #expect(throws: AccountsError.self) { try User.validate(password: "alice-is-my-name", username: "alice") }
        #expect(throws: Never.self) { try User.validate(password: "Tr0ub4dor&3-long", username: "alice") }
    }

    @Test(arguments: ["alice", "bob-2", "c_d", "ab"])
    func validUsernames(_ name: String) {
        #expect(throws: Never.self) { try User.validate(username: name) }
    }

    @Test(arguments: ["", "a", "Alice", "1abc", "-ab", "a b", "ab/c", "a..b", String(repeating: "a", count: 33), "ali\u{0}ce"])
    func invalidUsernames(_ name: String) {
        #expect(throws: AccountsError.self) { try User.validate(username: name) }
    }
}
