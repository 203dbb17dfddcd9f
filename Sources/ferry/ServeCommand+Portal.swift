import Accounts
import Billing
import Foundation
import Gateway
import Logging
import Portal
import PostgresNIO

extension ServeCommand {
    /// The subscriber web portal over the same accounts, throttle and billing as the
    /// token service, with sessions and the audit log in PostgreSQL.
    static func makePortal(_ configuration: FerryConfiguration, auth: GatewayAuth, client: PostgresClient, logger: Logger) async throws -> Portal {
        var billing: PortalBilling?
        if let limits = auth.billing?.limits {
            let service = BillingService(store: PostgresBillingStore(client: client, logger: logger, calendar: limits.calendar), calendar: limits.calendar, graceDays: limits.graceDays)
            billing = PortalBilling(limits: limits, service: service)
        }
        let settings = PortalSettings(
            publicURL: configuration.gateway.publicURL,
            registries: configuration.upstreams.map { PortalSettings.Registry(name: $0.registry, server: $0.url.absoluteString) },
            defaultRegistry: configuration.upstreams.first { $0.id == configuration.defaultUpstream }?.registry ?? "docker.io",
            mirrorDomain: configuration.gateway.mirrorDomain,
            servesTLS: configuration.tlsFiles != nil
        )
        return Portal(
            accounts: auth.accounts,
            authenticator: auth.authenticator,
            sessions: PortalSessions(users: auth.accounts.users),
            audit: PostgresAuditLog(client: client, logger: logger),
            billing: billing,
            settings: settings,
            renderer: try await PageRenderer.bundled()
        )
    }
}
