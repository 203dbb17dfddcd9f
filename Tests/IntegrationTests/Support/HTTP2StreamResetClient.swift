import Foundation

/// An HTTP/2 client that cancels its request with RST_STREAM while keeping the
/// connection open, as dockerd does for a layer when a pull is interrupted. No Swift or
/// command-line client here resets a single stream on demand, so this is a small Python
/// script (standard library only: TLS with ALPN h2, frames and HPACK literals by hand).
final class HTTP2StreamResetClient: @unchecked Sendable {
    // @unchecked: the process and pipe are only touched by the test task that owns it.
    private let process = Process()
    private let control = Pipe()
    private let output = Pipe()

    /// Connects to `https://127.0.0.1:port` (any certificate) and sends `GET path` with
    /// a bearer token on stream 1.
    init(port: Int, path: String, token: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script, "127.0.0.1", String(port), path, token]
        process.standardInput = control
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Sends RST_STREAM (CANCEL) for the request; the connection stays open.
    func resetStream() {
        guard process.isRunning else { return }  // a write to a closed pipe would raise SIGPIPE
        control.fileHandleForWriting.write(Data("reset\n".utf8))
    }

    /// Closes the connection and returns what the script saw: `headers` when a response
    /// head arrived for the request, else `no-headers`.
    func finish() async -> String {
        try? control.fileHandleForWriting.close()
        // Read on a thread of its own: a blocking read on a Swift concurrency thread
        // takes one of the few the whole test process shares.
        let data = await withCheckedContinuation { (done: CheckedContinuation<Data, Never>) in
            Thread.detachNewThread { [output] in done.resume(returning: output.fileHandleForReading.readDataToEndOfFile()) }
        }
        await process.exit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let script = #"""
import socket, ssl, struct, sys, threading
host, port, path, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["h2"])
sock = context.wrap_socket(socket.create_connection((host, port)), server_hostname=host)
assert sock.selected_alpn_protocol() == "h2"

def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload

def integer(value):
    if value < 127:
        return bytes([value])
    out, value = [127], value - 127
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])

def literal(name, value):
    name, value = name.encode(), value.encode()
    return b"\x00" + integer(len(name)) + name + integer(len(value)) + value

block = (literal(":method", "GET") + literal(":scheme", "https") + literal(":path", path)
         + literal(":authority", "%s:%d" % (host, port)) + literal("authorization", "Bearer " + token))
sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 0x5, 1, block))

wanted, finished = threading.Event(), threading.Event()
def read_control():
    if sys.stdin.readline():
        wanted.set()
    sys.stdin.readline()
    finished.set()
threading.Thread(target=read_control, daemon=True).start()

sock.settimeout(0.05)
buffer, reset, head = b"", False, False
while not finished.is_set():
    if wanted.is_set() and not reset:
        sock.sendall(frame(3, 0, 1, struct.pack(">I", 8)))
        reset = True
    try:
        data = sock.recv(65536)
    except (socket.timeout, TimeoutError):
        continue
    if not data:
        break
    buffer += data
    while len(buffer) >= 9 and len(buffer) >= 9 + int.from_bytes(buffer[:3], "big"):
        length = int.from_bytes(buffer[:3], "big")
        kind, flags = buffer[3], buffer[4]
        stream = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
        payload, buffer = buffer[9:9 + length], buffer[9 + length:]
        if kind == 4 and not flags & 1:
            sock.sendall(frame(4, 1, 0))
        elif kind == 6 and not flags & 1:
            sock.sendall(frame(6, 1, 0, payload))
        elif kind == 1 and stream == 1:
            head = True
print("headers" if head else "no-headers", flush=True)
sock.close()
"""#
}
