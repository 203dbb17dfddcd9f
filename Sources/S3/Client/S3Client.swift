import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFileSystem
import NIOHTTP1

/// An S3 client for one bucket, on a caller-owned AsyncHTTPClient `HTTPClient`.
///
/// Every request is header-signed (SigV4, `x-amz-content-sha256` always present) at the time
/// `now()` returns for that attempt. Retryable failures are retried per ``S3RetryPolicy``.
/// Failures are thrown as ``S3Error``; cancellation as `CancellationError`.
/// Logs go to the given `Logger` (operation, key, status, bytes, attempt); never credentials.
///
/// Give the `HTTPClient` a short connect timeout: AsyncHTTPClient keeps retrying a refused
/// connection until that timeout (about 90 s per attempt with `HTTPClient.shared`), before
/// this client's own retries even start.
public struct S3Client: Sendable {
    /// The configuration this client was made with.
    public let configuration: S3Configuration

    let httpClient: HTTPClient
    let logger: Logger
    let retryPolicy: S3RetryPolicy
    let now: @Sendable () -> Date
    let signer: SigV4Signer
    let endpoint: S3Endpoint

    /// Creates a client. `httpClient` stays the caller's: this client never shuts it down.
    /// - Throws: ``S3ConfigurationError`` for an unusable endpoint, bucket or part size.
    public init(
        httpClient: HTTPClient,
        configuration: S3Configuration,
        logger: Logger = Logger(label: "s3"),
        retryPolicy: S3RetryPolicy = .standard,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(S3ConfigurationError) {
        guard configuration.partSize >= 5 * 1024 * 1024, configuration.partSize <= 5 * 1024 * 1024 * 1024 else {
            throw .invalidPartSize(configuration.partSize)
        }
        self.endpoint = try S3Endpoint(configuration: configuration)
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.retryPolicy = retryPolicy
        self.now = now
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3", rules: .s3)
    }

    // MARK: - Paths and argument checks

    /// The decoded request path of an object, or of the bucket when `key` is nil.
    func path(forKey key: String?) -> String {
        if configuration.usesPathStyle {
            return key.map { "/\(configuration.bucket)/\($0)" } ?? "/\(configuration.bucket)"
        }
        return "/" + (key ?? "")
    }

    /// An ``S3Error`` with code ``S3Error/invalidArgument``.
    func invalidArgument(_ message: String, _ operation: S3Operation, key: String?) -> S3Error {
        S3Error(
            code: S3Error.invalidArgument,
            httpStatus: nil,
            message: message,
            operation: operation,
            bucket: configuration.bucket,
            key: key
        )
    }

    /// Refuses an empty key.
    func check(key: String, _ operation: S3Operation) throws(S3Error) {
        guard !key.isEmpty else {
            throw invalidArgument("the object key is empty", operation, key: key)
        }
    }

    /// The payload hash for an optional hex SHA-256 (`nil` means `UNSIGNED-PAYLOAD`).
    func payloadHash(_ sha256: String?, _ operation: S3Operation, key: String) throws(S3Error) -> SigV4PayloadHash {
        guard let sha256 else { return .unsigned }
        guard let hash = SigV4PayloadHash(sha256Hex: sha256) else {
            throw invalidArgument("sha256 must be 64 hex digits", operation, key: key)
        }
        return hash
    }

    /// Checks that `body` holds `length` bytes before anything is sent.
    func check(body: S3RequestBody, length: Int64, _ operation: S3Operation, key: String) async throws(S3Error) {
        guard length >= 0 else {
            throw invalidArgument("length must not be negative", operation, key: key)
        }
        switch body {
        case .bytes(let buffer):
            guard Int64(buffer.readableBytes) == length else {
                throw invalidArgument("length \(length) differs from the \(buffer.readableBytes) bytes given", operation, key: key)
            }
        case .file(let path, let offset):
            guard offset >= 0 else {
                throw invalidArgument("file offset must not be negative", operation, key: key)
            }
            let size: Int64
            do {
                guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)) else {
                    throw invalidArgument("no file at \(path)", operation, key: key)
                }
                size = info.size
            } catch let error as S3Error {
                throw error
            } catch {
                throw invalidArgument("cannot read \(path): \(error)", operation, key: key)
            }
            guard offset + length <= size else {
                throw invalidArgument("\(path) has \(size) bytes, fewer than offset \(offset) + length \(length)", operation, key: key)
            }
        }
    }

    // MARK: - Sending with retries

    /// Sends `request`, retrying retryable failures, and hands a 2xx answer to `accept`.
    ///
    /// A non-2xx answer becomes an ``S3Error`` (its body read up to 1 MiB for the XML error);
    /// `accept` may throw an ``S3Error`` too (e.g. a 200 whose body is an `<Error>`), which is
    /// retried on the same terms.
    func send<Result: Sendable>(
        _ request: S3Request,
        accept: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await sendOnce(request, attempt: attempt, accept: accept)
            } catch var error as S3Error {
                error.attempts = attempt
                let replayable = request.body?.isReplayable ?? true
                guard error.isRetryable, replayable, attempt < retryPolicy.maxAttempts else {
                    throw error
                }
                let delay = retryPolicy.jitter(retryPolicy.delayCeiling(afterAttempt: attempt))
                logger.warning(
                    "S3 request failed, retrying",
                    metadata: metadata(request, attempt: attempt).merging([
                        "s3.error": "\(error.code)",
                        "s3.status": "\(error.httpStatus.map(String.init) ?? "-")",
                        "s3.retry_in_ms": "\(delay.nanoseconds / 1_000_000)",
                    ]) { $1 }
                )
                try await retryPolicy.sleep(delay)
            }
        }
    }

    private func sendOnce<Result: Sendable>(
        _ request: S3Request,
        attempt: Int,
        accept: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        let path = path(forKey: request.key)
        let signable = SigV4Request(
            method: request.method.rawValue,
            path: path,
            query: request.query,
            headers: [SigV4Header("host", endpoint.authority)] + request.headers
        )
        let signed = signer.signHeaders(signable, payloadHash: request.payloadHash, at: now())
        var http = HTTPClientRequest(
            url: endpoint.url(encodedPath: signer.encodedPath(path), encodedQuery: signer.encodedQuery(request.query))
        )
        http.method = request.method
        for header in signed.headers {
            http.headers.add(name: header.name, value: header.value)
        }
        let started = ContinuousClock.now
        do {
            return try await withBody(of: request) { body in
                http.body = body
                let timeout = TimeAmount.nanoseconds(configuration.requestTimeout.nanoseconds)
                let response = try await httpClient.execute(http, timeout: timeout)
                var fields = metadata(request, attempt: attempt)
                fields["s3.status"] = "\(response.status.code)"
                fields["s3.bytes"] = "\(response.headers.first(name: "content-length") ?? "-")"
                fields["s3.ms"] = "\((ContinuousClock.now - started).nanoseconds / 1_000_000)"
                logger.debug("S3 response", metadata: fields)
                guard (200..<300).contains(response.status.code) else {
                    let errorBody = try? await response.body.collect(upTo: 1 << 20)
                    throw S3Error.fromResponse(
                        status: response.status,
                        headers: response.headers,
                        body: errorBody,
                        operation: request.operation,
                        bucket: configuration.bucket,
                        key: request.key
                    )
                }
                return try await accept(response)
            }
        } catch let error as S3Error {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            if Task.isCancelled {
                throw CancellationError()
            }
            throw S3Error(
                code: S3Error.connectionFailed,
                httpStatus: nil,
                message: String(describing: error),
                operation: request.operation,
                bucket: configuration.bucket,
                key: request.key,
                attempts: attempt
            )
        }
    }

    /// Runs `body` with the request's upload body; a file stays open only for that time.
    private func withBody<Result>(
        of request: S3Request,
        _ body: (HTTPClientRequest.Body?) async throws -> Result
    ) async throws -> Result {
        switch request.body {
        case nil:
            return try await body(nil)
        case .bytes(let buffer):
            return try await body(.bytes(buffer))
        case .file(let path, let offset):
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                let chunks = handle.readChunks(in: offset..<(offset + request.bodyLength), chunkLength: .mebibytes(1))
                return try await body(.stream(chunks, length: .known(request.bodyLength)))
            }
        }
    }

    /// Log metadata common to one request: no credentials, no signature.
    func metadata(_ request: S3Request, attempt: Int) -> Logger.Metadata {
        var fields: Logger.Metadata = [
            "s3.operation": "\(request.operation.rawValue)",
            "s3.bucket": "\(configuration.bucket)",
            "s3.attempt": "\(attempt)",
        ]
        if let key = request.key {
            fields["s3.key"] = "\(key)"
        }
        if request.body != nil {
            fields["s3.upload_bytes"] = "\(request.bodyLength)"
        }
        return fields
    }

    /// Reads a small answer body (XML documents), up to 8 MiB.
    func collectDocument(_ response: HTTPClientResponse) async throws -> ByteBuffer {
        try await response.body.collect(upTo: 8 << 20)
    }

    /// Parses an XML answer, turning an `<Error>` document (a 200 can carry one) into an ``S3Error``.
    func parseDocument(_ body: ByteBuffer, expecting root: String, _ request: S3Request, status: HTTPResponseStatus) throws(S3Error) -> S3XMLElement {
        guard let document = S3XMLParser.parse(body.readableBytesView) else {
            throw S3Error(
                code: S3Error.invalidResponse,
                httpStatus: Int(status.code),
                message: "the answer is not XML (\(body.readableBytes) bytes)",
                operation: request.operation,
                bucket: configuration.bucket,
                key: request.key
            )
        }
        if document.name == "Error" {
            throw S3Error.fromResponse(
                status: status,
                headers: [:],
                body: body,
                operation: request.operation,
                bucket: configuration.bucket,
                key: request.key
            )
        }
        guard document.name == root else {
            throw S3Error(
                code: S3Error.invalidResponse,
                httpStatus: Int(status.code),
                message: "expected <\(root)>, got <\(document.name)>",
                operation: request.operation,
                bucket: configuration.bucket,
                key: request.key
            )
        }
        return document
    }

    /// An ``S3Error/invalidResponse`` error for a missing element or header.
    func missing(_ what: String, _ request: S3Request, status: HTTPResponseStatus) -> S3Error {
        S3Error(
            code: S3Error.invalidResponse,
            httpStatus: Int(status.code),
            message: "the answer has no \(what)",
            operation: request.operation,
            bucket: configuration.bucket,
            key: request.key
        )
    }
}
