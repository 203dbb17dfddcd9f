import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI

extension RegistryUpstream {
    /// The `Authorization` value that answers `challenge` for `scope`: a bearer token from
    /// the realm (shared by concurrent callers, cached until it expires) or Basic
    /// credentials. Nil when the challenge cannot be answered.
    func authorize(_ challenge: AuthChallenge, scope: String) async throws(UpstreamError) -> String? {
        switch challenge.scheme {
        case "basic":
            guard let credentials = configuration.credentials else { return nil }
            let value = "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
            tokens.store(.init(authorization: value, expires: nil), for: scope)
            return value
        case "bearer":
            guard let realm = challenge.realm, let realmURL = URL(string: realm),
                  realmURL.scheme == "https" || realmURL.scheme == "http", realmURL.host != nil
            else { throw .invalidResponse("bearer challenge without a usable realm") }
            do {
                let entry = try await tokens.flights.run(scope) {
                    if let cached = tokens.authorization(for: scope) { return UpstreamTokenCache.Entry(authorization: cached, expires: nil) }
                    let entry = try await fetchToken(realm: realmURL, service: challenge.service, scope: scope)
                    tokens.store(entry, for: scope)
                    return entry
                }
                return entry.authorization
            } catch let error as UpstreamError {
                throw error
            } catch {
                throw Task.isCancelled ? .cancelled : .unreachable("\(error)")
            }
        default:
            return nil
        }
    }

    /// Asks a token realm for a pull token, with credentials only when the realm belongs
    /// to the upstream's own site or is explicitly trusted.
    private func fetchToken(realm: URL, service: String?, scope: String) async throws(UpstreamError) -> UpstreamTokenCache.Entry {
        guard var components = URLComponents(url: realm, resolvingAgainstBaseURL: false) else {
            throw .invalidResponse("unparsable token realm")
        }
        var items = components.queryItems ?? []
        if let service { items.append(URLQueryItem(name: "service", value: service)) }
        items.append(URLQueryItem(name: "scope", value: scope))
        components.queryItems = items
        guard let url = components.url else { throw .invalidResponse("unparsable token realm") }

        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "User-Agent", value: "ferry")
        if let credentials = configuration.credentials {
            if realmMayReceiveCredentials(realm) {
                request.headers.add(name: "Authorization", value: "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString())
            } else {
                logger.warning("token realm is neither https on the upstream's host nor in trusted-realms; asking it anonymously", metadata: ["realm": "\(realm.scheme ?? "")://\(realm.host ?? "")"])
            }
        }
        let response: HTTPClientResponse
        let body: ByteBuffer
        let started = ContinuousClock.now
        do {
            response = try await client.execute(request, timeout: responseTimeout, logger: logger)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            if Task.isCancelled { throw .cancelled }
            observe("TOKEN", nil, ContinuousClock.now - started)
            logger.warning("token realm unreachable", metadata: ["realm": "\(realm.host ?? "")", "error": "\(error)"])
            throw .unreachable("token realm: \(error)")
        }
        let status = Int(response.status.code)
        observe("TOKEN", status, ContinuousClock.now - started)
        guard status == 200 else {
            // An expired or wrong operator credential shows here first: say so, since
            // clients only see "repository not found".
            logger.warning("token realm refused the mirror", metadata: [
                "realm": "\(realm.host ?? "")", "status": "\(status)", "scope": "\(scope)", "credentials": "\(configuration.credentials != nil)",
            ])
            switch status {
            case 401, 403: throw .denied(status: status)
            case 429: throw .rateLimited(retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) })
            default: throw .status(status)
            }
        }
        struct TokenResponse: Decodable {
            let token: String?
            let access_token: String?
            let expires_in: Int?
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(body.readableBytesView)),
              let token = decoded.token ?? decoded.access_token, !token.isEmpty
        else { throw .invalidResponse("token realm answered without a token") }
        // The token spec's default lifetime is 60 seconds.
        let expires = tokens.expiry(issuedNow: decoded.expires_in ?? 60)
        return UpstreamTokenCache.Entry(authorization: "Bearer \(token)", expires: expires)
    }

    /// Only an `https` realm on the upstream's own host, or on a host listed in
    /// `trustedRealmHosts` (Docker Hub's `auth.docker.io` is listed by default), gets
    /// the credentials. "Same site" is not enough: under a shared suffix such as
    /// `azurecr.io` or `pkg.dev`, a sibling host belongs to another tenant. A plain-http
    /// realm qualifies only when listed with its scheme and port
    /// (`http://registry.lan:5001`): an explicit, visible choice by the operator. On the
    /// upstream's own host the realm's port must be the upstream's too (another port on
    /// the same host can be another service).
    func realmMayReceiveCredentials(_ realm: URL) -> Bool {
        guard let scheme = realm.scheme?.lowercased(), let realmHost = realm.host?.lowercased(),
              let upstreamHost = configuration.url.host?.lowercased()
        else { return false }
        if scheme == "https", realmHost == upstreamHost, (realm.port ?? 443) == (configuration.url.port ?? 443) { return true }
        return configuration.trustedRealmHosts.contains { entry in
            guard entry.contains("://") else { return scheme == "https" && entry.lowercased() == realmHost && (realm.port ?? 443) == 443 }
            guard let trusted = URL(string: entry) else { return false }
            return trusted.scheme?.lowercased() == scheme && trusted.host?.lowercased() == realmHost && trusted.port == realm.port
        }
    }
}
