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
                throw .unreachable("\(error)")
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
                logger.warning("token realm is on another site; asking anonymously", metadata: ["realm": "\(realm.host ?? "")"])
            }
        }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: responseTimeout, logger: logger)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw .unreachable("token realm: \(error)")
        }
        switch response.status.code {
        case 200: break
        case 401, 403: throw .denied(status: Int(response.status.code))
        case 429: throw .rateLimited(retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) })
        default: throw .status(Int(response.status.code))
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

    /// Same host, same site (the last two labels, e.g. auth.docker.io and
    /// registry-1.docker.io), or listed in `trustedRealmHosts`.
    func realmMayReceiveCredentials(_ realm: URL) -> Bool {
        guard let realmHost = realm.host?.lowercased(), let upstreamHost = configuration.url.host?.lowercased() else { return false }
        if realmHost == upstreamHost || configuration.trustedRealmHosts.map({ $0.lowercased() }).contains(realmHost) { return true }
        func site(_ host: String) -> String { host.split(separator: ".").suffix(2).joined(separator: ".") }
        let isAddress = upstreamHost.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
        return !isAddress && site(realmHost) == site(upstreamHost)
    }
}
