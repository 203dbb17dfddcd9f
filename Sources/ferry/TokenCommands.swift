import Accounts
import ArgumentParser
import FerryServer
import Foundation

/// `ferry token …`: personal access tokens (usable as the password in `docker login`),
/// and the refresh tokens docker stores at login (`ferry token refresh …`).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage personal access tokens and login refresh tokens.",
        subcommands: [Create.self, List.self, Revoke.self, RefreshTokenCommand.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token for a user; it is shown once.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Username.") var user: String
        @Option(help: "What the token is for (e.g. ci, laptop).") var name: String
        @Option(help: "Lifetime such as 90d, 12h; none means no expiry.") var expires: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let lifetime = try expires.map { text -> TimeInterval in
                guard let duration = ConfigValues.parseDuration(text), duration > .zero else {
                    throw ValidationError("--expires: \"\(text)\" is not a duration (e.g. 90d, 12h)")
                }
                return TimeInterval(duration.components.seconds)
            }
            let (token, secret) = try await config.withAccounts { accounts in
                try await accounts.createAccessToken(user, name: name, lifetime: lifetime)
            }
            if json {
                struct Created: Codable { let id: Int64; let name: String; let token: String; let expiresAt: Date? }
                return try printJSON(Created(id: token.id, name: token.name, token: secret, expiresAt: token.expiresAt))
            }
            print("token \(token.id) (\(token.name)) for \(user), expires \(formatDate(token.expiresAt)):")
            print(secret)
            print("use it as the password: docker login -u \(user) --password-stdin <host>")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's tokens.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Username.") var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tokens = try await config.withAccounts { accounts in try await accounts.accessTokens(user) }
            if json { return try printJSON(tokens) }
            print("ID      NAME                  CREATED           EXPIRES           LAST USED         REVOKED")
            for token in tokens {
                print([
                    String(token.id).padding(toLength: 8, withPad: " ", startingAt: 0),
                    printable(token.name).padding(toLength: 22, withPad: " ", startingAt: 0),
                    formatDate(token.createdAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    formatDate(token.expiresAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    formatDate(token.lastUsedAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    formatDate(token.revokedAt),
                ].joined())
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Token id (from token list).") var id: Int64

        func run() async throws {
            try await config.withAccounts { accounts in try await accounts.revokeAccessToken(id: id) }
            print("revoked token \(id)")
        }
    }
}

/// `ferry mirror-key …`: secret host names for dockerd's `registry-mirrors`.
struct MirrorKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror-key",
        abstract: "Manage per-user mirror host keys (https://<key>.<mirror-domain>).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a mirror key for a user; it is shown once.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Username.") var user: String
        @Option(help: "Lifetime such as 90d, 12h; none means no expiry.") var expires: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let lifetime = try expires.map { text -> TimeInterval in
                guard let duration = ConfigValues.parseDuration(text), duration > .zero else {
                    throw ValidationError("--expires: \"\(text)\" is not a duration (e.g. 90d, 12h)")
                }
                return TimeInterval(duration.components.seconds)
            }
            let domain = try await config.values().string("mirror-domain")
            let (key, secret) = try await config.withAccounts { accounts in try await accounts.createMirrorKey(user, lifetime: lifetime) }
            let host = domain.map { "\(secret).\($0)" }
            if json {
                struct Created: Codable { let id: Int64; let key: String; let host: String? }
                return try printJSON(Created(id: key.id, key: secret, host: host))
            }
            print("mirror key \(key.id) for \(user), expires \(formatDate(key.expiresAt)):")
            print(secret)
            if let host {
                print("dockerd: {\"registry-mirrors\": [\"https://\(host)\"]}")
            } else {
                print("set mirror-domain to serve it as https://<key>.<mirror-domain>")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's mirror keys.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Username.") var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let keys = try await config.withAccounts { accounts in try await accounts.mirrorKeys(user) }
            if json { return try printJSON(keys) }
            print("ID      CREATED           EXPIRES           LAST USED         FROM                      REVOKED")
            for key in keys {
                print([
                    String(key.id).padding(toLength: 8, withPad: " ", startingAt: 0),
                    formatDate(key.createdAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    formatDate(key.expiresAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    formatDate(key.lastUsedAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    printable(key.lastUsedAddress ?? "-").padding(toLength: 26, withPad: " ", startingAt: 0),
                    formatDate(key.revokedAt),
                ].joined())
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a mirror key by id.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Mirror key id (from mirror-key list).") var id: Int64

        func run() async throws {
            try await config.withAccounts { accounts in try await accounts.revokeMirrorKey(id: id) }
            print("revoked mirror key \(id)")
        }
    }
}

/// `ferry keys …`: the token signing keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage token signing keys.",
        subcommands: [Rotate.self, List.self, Certificates.self, Revoke.self]
    )

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a signing key at once (e.g. it leaked); its tokens stop verifying within one key-reload interval (30 seconds).")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Key id (kid, from keys list).") var kid: String

        func run() async throws {
            try await config.withDatabase { database in try await database.signingKeys.revoke(keyID: kid) }
            print("removed signing key \(kid); running servers stop accepting its tokens within one key-reload interval (token.key-reload-interval, 30 s by default)")
            print("a CNCF registry given ferry keys certificates keeps trusting it until its rootcertbundle is replaced")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a new signing key: it signs once every server verifies it (2.5 key-reload intervals); the previous one keeps verifying until its tokens expire, then servers retire it.")
        @OptionGroup var config: ConfigOptions

        func run() async throws {
            let reload = try TokenConfiguration(reader: try await config.values()).keyReloadInterval
            let key = try await config.withDatabase { database in try await database.signingKeys.rotate(now: Date(), retention: 86400) }
            let signsFrom = key.createdAt.addingTimeInterval(RegistryTokenService.publishDelay(reloadInterval: reload))
            print("new signing key \(key.keyID): every running server verifies it within \(Int(reload)) seconds and signs with it from \(formatDate(signsFrom))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys (the newest one older than 2.5 key-reload intervals signs).")
        @OptionGroup var config: ConfigOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let keys = try await config.withDatabase { database in try await database.signingKeys.allKeys() }
            if json {
                struct Entry: Codable { let kid: String; let createdAt: Date }
                return try printJSON(keys.map { Entry(kid: $0.keyID, createdAt: $0.createdAt) })
            }
            for key in keys { print("\(key.keyID)  \(formatDate(key.createdAt))") }
        }
    }

    struct Certificates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the signing certificates (PEM), e.g. for a CNCF registry's auth.token.rootcertbundle.")
        @OptionGroup var config: ConfigOptions

        func run() async throws {
            let pems = try await config.withDatabase { database in
                try await database.signingKeys.keysCreatingFirst(now: Date()).map { try $0.certificatePEM }
            }
            print(pems.joined(separator: "\n"))
        }
    }
}
