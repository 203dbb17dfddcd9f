import AsyncHTTPClient
import Cache
import Foundation
import NIOCore
import NIOHTTP1
import OCI

/// Talks to a running server's cache administration over its Unix socket
/// (`data-dir/admin/admin.sock`), for `ferry cache` commands.
struct CacheAdminClient {
    let socketPath: String

    /// Sends a request and decodes the JSON answer; a refusal becomes its one-line message.
    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, as type: T.Type) async throws -> T {
        guard let host = socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) else {
            throw CommandError("cannot address the admin socket \(socketPath)")
        }
        var request = HTTPClientRequest(url: "http+unix://\(host)\(path)")
        request.method = method
        let body: ByteBuffer
        let status: Int
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
            body = try await response.body.collect(upTo: 4 << 20)
            status = Int(response.status.code)
        } catch {
            throw CommandError("a ferry serve holds this data-dir, but its admin socket \(socketPath) did not answer: \(error)")
        }
        guard status == 200 else {
            let entry = (try? JSONDecoder().decode(OCIErrorResponse.self, from: Data(body.readableBytesView)))?.errors.first
            // "Not in the cache" stays recognisable, as when the command works on the directory itself.
            if let entry, entry.code == .blobUnknown { throw CacheError(.blobUnknown, entry.message) }
            throw CommandError(entry?.message ?? "the server refused (status \(status))")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(body.readableBytesView))
    }
}
