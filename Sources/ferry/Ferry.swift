import ArgumentParser

/// The `ferry` command: one binary for serving and operating the mirror.
@main
struct Ferry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Ferry: a multi-tenant pull-through mirror for container images.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, UserCommand.self, TokenCommand.self, MirrorKeyCommand.self, KeysCommand.self,
            PlanCommand.self, SubscriptionCommand.self, PaymentCommand.self, UsageCommand.self, CacheCommand.self, ClientConfigCommand.self, ConfigCheckCommand.self,
        ]
    )
}
