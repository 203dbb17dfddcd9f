import Accounts
import ArgumentParser
import Foundation

/// `ferry user …`: subscriber accounts.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage subscriber accounts.",
        subcommands: [Add.self, List.self, Show.self, Passwd.self, Suspend.self, Resume.self, Role.self, Delete.self]
    )

    /// What listings print (never the password hash).
    struct Summary: Codable {
        let id: Int64
        let username: String
        let email: String?
        let status: String
        let role: String
        let createdAt: Date
        let updatedAt: Date

        init(_ user: User) {
            id = user.id
            username = user.username
            email = user.email
            status = user.status.rawValue
            role = user.role.rawValue
            createdAt = user.createdAt
            updatedAt = user.updatedAt
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a subscriber; prints a generated password unless one is given on stdin.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Username: 2-32 lowercase letters, digits, - or _.") var name: String
        @Option(help: "Email address.") var email: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordFromStandardInput = false
        @Flag(help: "Make the user an admin (the web portal's operator view).") var admin = false

        func run() async throws {
            let password = passwordFromStandardInput ? try readPasswordFromStandardInput() : nil
            let admin = admin
            let (user, generated) = try await config.withDatabase { database in
                let (user, generated) = try await database.accounts.createUser(username: name, email: email, password: password)
                guard admin else { return (user, generated) }
                let promoted = try await database.accounts.setRole(user.username, .admin)
                try await database.audit.record(
                    actor: Role.actor, action: "role", target: user.username, detail: "created as admin", at: Date()
                )
                return (promoted, generated)
            }
            print("created \(user.role == .admin ? "admin" : "user") \(user.username) (id \(user.id))")
            if let generated { print("password: \(generated)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List subscribers.")
        @OptionGroup var config: ConfigOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let users = try await config.withAccounts { accounts in try await accounts.allUsers() }
            if json { return try printJSON(users.map(Summary.init)) }
            print("ID".padding(toLength: 6, withPad: " ", startingAt: 0) + "USERNAME".padding(toLength: 34, withPad: " ", startingAt: 0) + "STATUS     ROLE        CREATED")
            for user in users {
                print(String(user.id).padding(toLength: 6, withPad: " ", startingAt: 0) + user.username.padding(toLength: 34, withPad: " ", startingAt: 0)
                    + user.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + user.role.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + formatDate(user.createdAt))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one subscriber.")
        @OptionGroup var config: ConfigOptions
        @Argument var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (user, tokens, keys) = try await config.withAccounts { accounts in
                (try await accounts.user(name), try await accounts.accessTokens(name), try await accounts.mirrorKeys(name))
            }
            if json { return try printJSON(Summary(user)) }
            print("username  \(user.username)")
            print("id        \(user.id)")
            print("email     \(user.email ?? "-")")
            print("status    \(user.status.rawValue)")
            print("role      \(user.role.rawValue)")
            print("created   \(formatDate(user.createdAt))")
            print("updated   \(formatDate(user.updatedAt))")
            print("tokens    \(tokens.filter { $0.revokedAt == nil }.count) active, \(tokens.count) in all")
            print("mirror keys \(keys.filter { $0.revokedAt == nil }.count) active")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a new password (generated unless given on stdin); ends the user's sessions.")
        @OptionGroup var config: ConfigOptions
        @Argument var name: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordFromStandardInput = false

        func run() async throws {
            let password = passwordFromStandardInput ? try readPasswordFromStandardInput() : SecretToken.makePassword()
            try await config.withAccounts { accounts in try await accounts.setPassword(name, password: password) }
            print("password changed for \(name)")
            if !passwordFromStandardInput { print("password: \(password)") }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a subscriber: no new tokens, existing ones refused within seconds, portal sessions ended.")
        @OptionGroup var config: ConfigOptions
        @Argument var name: String

        func run() async throws {
            let name = name
            try await config.withDatabase { database in
                _ = try await database.accounts.setStatus(name, .suspended)
                try await database.audit.record(actor: cliActor, action: "suspend", target: name, detail: "status suspended", at: Date())
            }
            print("suspended \(name)")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reactivate a suspended subscriber.")
        @OptionGroup var config: ConfigOptions
        @Argument var name: String

        func run() async throws {
            let name = name
            try await config.withDatabase { database in
                _ = try await database.accounts.setStatus(name, .active)
                try await database.audit.record(actor: cliActor, action: "resume", target: name, detail: "status active", at: Date())
            }
            print("resumed \(name)")
        }
    }

    struct Role: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a user an admin (the web portal's operator view) or a plain subscriber.")
        /// How the audit log names changes made from the command line.
        static let actor = cliActor
        @OptionGroup var config: ConfigOptions
        @Argument var name: String
        @Argument(help: "admin or subscriber.") var role: String

        func validate() throws {
            guard UserRole(rawValue: role) != nil else { throw ValidationError("role: use admin or subscriber") }
        }

        func run() async throws {
            let role = UserRole(rawValue: role)!
            let name = name
            _ = try await config.withDatabase { database in
                let user = try await database.accounts.setRole(name, role)
                try await database.audit.record(
                    actor: Self.actor, action: "role", target: name, detail: "role \(role.rawValue)", at: Date()
                )
                return user
            }
            print("\(name) is now \(role == .admin ? "an admin" : "a subscriber")")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a subscriber and all their credentials.")
        @OptionGroup var config: ConfigOptions
        @Argument var name: String
        @Flag(help: "Confirm the deletion.") var yes = false

        func validate() throws {
            guard yes else { throw ValidationError("deleting \(name) cannot be undone: add --yes") }
        }

        func run() async throws {
            let name = name
            try await config.withDatabase { database in
                try await database.accounts.deleteUser(name)
                try await database.audit.record(actor: cliActor, action: "delete", target: name, detail: "user and credentials deleted", at: Date())
            }
            print("deleted \(name)")
        }
    }
}
