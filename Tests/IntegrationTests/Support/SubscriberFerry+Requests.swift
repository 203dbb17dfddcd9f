import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

extension SubscriberFerry {
    /// A bearer token from Ferry's token service for pulling `repositories` as `user`.
    func bearerToken(_ user: String, password: String = "correct-horse-9", repositories: [String]) async throws -> String {
        let scopes = repositories.map { "&scope=repository:\($0):pull" }.joined()
        var request = HTTPClientRequest(url: "\(ferry.url)/token?service=\(configuration.tokenService)\(scopes)")
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        let body = try await HTTPClient.shared.execute(request, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
        return try #require((try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["token"] as? String)
    }

    /// Sends `method path` with the bearer token and reads the whole body, counting its bytes.
    func send(_ method: HTTPMethod = .GET, _ path: String, token: String, headers: [(String, String)] = []) async throws -> (response: HTTPClientResponse, received: Int) {
        var request = HTTPClientRequest(url: "\(ferry.url)\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var received = 0
        for try await chunk in response.body { received += chunk.readableBytes }
        return (response, received)
    }

    /// The single value `sql` selects in this instance's database.
    func psql(_ sql: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/psql", [databaseURL, "-tAc", sql])
        #expect(result.succeeded, "\(result.error)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
