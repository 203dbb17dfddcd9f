import Accounts
import ArgumentParser
import Foundation

/// `ferry token refresh …`: the refresh tokens `docker login` leaves on each machine.
/// They are not rotated (docker keeps using the one it stored), so each one's last use
/// and address are recorded: a token used from an unexpected address is how a theft
/// shows, and revoking it ends it (and bearer tokens minted with it) within seconds.
struct RefreshTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "List and revoke login refresh tokens (docker's stored identity tokens).",
        subcommands: [List.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's refresh tokens, newest first, with their last use.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Username.") var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tokens = try await config.withAccounts { accounts in try await accounts.refreshTokens(user) }
            if json { return try printJSON(tokens) }
            print("ID      CLIENT        MADE WITH   CREATED           LAST USED         FROM                      USES    EXPIRES           REVOKED")
            for token in tokens {
                print([
                    String(token.id).padding(toLength: 8, withPad: " ", startingAt: 0),
                    String(printable(token.clientID).prefix(12)).padding(toLength: 14, withPad: " ", startingAt: 0),
                    (token.accessTokenID.map { "token \($0)" } ?? "password").padding(toLength: 12, withPad: " ", startingAt: 0),
                    formatDate(token.createdAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    formatDate(token.lastUsedAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    printable(token.lastUsedAddress ?? "-").padding(toLength: 26, withPad: " ", startingAt: 0),
                    String(token.useCount).padding(toLength: 8, withPad: " ", startingAt: 0),
                    formatDate(token.expiresAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    formatDate(token.revokedAt),
                ].joined())
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke one refresh token by id, or every one of a user with --all USER.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Refresh token id (from token refresh list).") var id: Int64?
        @Option(help: "Revoke every refresh token of this user.") var all: String?

        func validate() throws {
            guard (id == nil) != (all == nil) else { throw ValidationError("give either a refresh token id or --all USER") }
        }

        func run() async throws {
            if let all {
                try await config.withAccounts { accounts in try await accounts.revokeRefreshTokens(all) }
                print("revoked every refresh token of \(all); their docker logins end within 5 seconds")
            } else if let id {
                try await config.withAccounts { accounts in try await accounts.revokeRefreshToken(id: id) }
                print("revoked refresh token \(id); its docker login ends within 5 seconds")
            }
        }
    }
}
