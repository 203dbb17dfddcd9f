import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 client connection on a plain POSIX socket to a loopback port, for what
/// HTTP client libraries never do on purpose: leave with a TCP reset.
public final class RawHTTPConnection {
    private let descriptor: Int32

    /// Connects to `127.0.0.1:port`; with `receiveBuffer`, the socket's receive buffer
    /// is that small (set before connecting, so the window is small from the start); with
    /// `sourceAddress` (another loopback address, such as `127.0.0.2`), the connection
    /// comes from there, as another client would. A send or receive that waits longer
    /// than `timeout` seconds fails (`EAGAIN`), so a server that never answers fails the
    /// test instead of hanging it.
    public init(port: Int, receiveBuffer: Int? = nil, sourceAddress: String? = nil, timeout: Int = 60) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXFailure(call: "socket", code: errno) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer.map(Int32.init) {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let sourceAddress {
            var source = sockaddr_in()
            source.sin_family = sa_family_t(AF_INET)
            source.sin_addr.s_addr = inet_addr(sourceAddress)
            let bound = withUnsafePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let code = errno
                Glibc.close(descriptor)
                throw POSIXFailure(call: "bind", code: code)
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw POSIXFailure(call: "connect", code: code)
        }
    }

    /// Sends `text` as it is (a request head with `\r\n` line ends).
    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw POSIXFailure(call: "send", code: errno) }
            offset += written
        }
    }

    /// Reads up to `count` bytes (blocking); empty at end of stream.
    public func receive(upTo count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let read = buffer.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress, count, 0) }
        guard read >= 0 else { throw POSIXFailure(call: "recv", code: errno) }
        return Array(buffer.prefix(read))
    }

    /// Reads a response head (up to the blank line); returns it and the body bytes read
    /// along with it.
    public func receiveHead() throws -> (head: String, bodyPrefix: [UInt8]) {
        var bytes: [UInt8] = []
        let end = Array("\r\n\r\n".utf8)
        while true {
            let chunk = try receive(upTo: 4096)
            guard !chunk.isEmpty else { throw POSIXFailure(call: "recv (head)", code: ECONNRESET) }
            bytes += chunk
            if let range = bytes.firstRange(of: end) {
                return (String(decoding: bytes[..<range.lowerBound], as: UTF8.self), Array(bytes[range.upperBound...]))
            }
        }
    }

    /// Whether the server has closed the connection (or reset it), without waiting. It
    /// reads and drops whatever the server sent before closing (an answer to a request
    /// the test never reads).
    public var isClosedByPeer: Bool {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while true {
            let read = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if read == 0 { return true }
            if read < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }

    /// Sends a whole request and reads the response's status code (first line), or nil
    /// when the connection ends first.
    public func statusOf(_ request: String) throws -> Int? {
        try send(request)
        guard let (head, _) = try? receiveHead() else { return nil }
        return head.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// Closes the connection normally.
    public func close() {
        Glibc.close(descriptor)
    }

    /// Closes with `SO_LINGER {1, 0}`, so the kernel sends RST instead of FIN.
    public func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        Glibc.close(descriptor)
    }

    /// A failed socket call.
    public struct POSIXFailure: Error, CustomStringConvertible {
        public let call: String
        public let code: Int32
        public var description: String { "\(call): \(String(cString: strerror(code)))" }
    }
}
