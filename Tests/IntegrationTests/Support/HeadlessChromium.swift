import AsyncHTTPClient
import Foundation

/// Debian's Chromium, headless, with the DevTools protocol on a loopback port of its
/// choosing (read back from `DevToolsActivePort` in its profile directory).
struct HeadlessChromium {
    static let executable = "/usr/bin/chromium"

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    struct DidNotStart: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts Chromium with a fresh profile in a new folder under `directory`, runs `body` with the
    /// DevTools WebSocket URL of its first page, and stops it.
    static func run<T: Sendable>(in directory: String, _ body: (String) async throws -> T) async throws -> T {
        let profile = directory + "/chromium-profile-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless=new", "--disable-gpu", "--no-sandbox", "--user-data-dir=\(profile)", "--remote-debugging-port=0",
            "--remote-allow-origins=*", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--window-size=1280,900", "--hide-scrollbars", "about:blank",
        ]
        let log = FileManager.default.createFile(atPath: directory + "/chromium.log", contents: nil) ? FileHandle(forWritingAtPath: directory + "/chromium.log") : nil
        process.standardOutput = log ?? FileHandle.nullDevice
        process.standardError = log ?? FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var port: Int?
        for _ in 0..<300 where port == nil {
            guard process.isRunning else { throw DidNotStart(description: "chromium exited: see \(directory)/chromium.log") }
            if let text = try? String(contentsOfFile: profile + "/DevToolsActivePort", encoding: .utf8), let first = text.split(separator: "\n").first {
                port = Int(first)
            }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let port else { throw DidNotStart(description: "chromium wrote no DevToolsActivePort within 30 s") }
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/json/list"), timeout: .seconds(10))
        let list = try await response.body.collect(upTo: 1 << 20)
        let targets = try JSONSerialization.jsonObject(with: Data(list.readableBytesView)) as? [[String: Any]] ?? []
        guard let page = targets.first(where: { $0["type"] as? String == "page" })?["webSocketDebuggerUrl"] as? String else {
            throw DidNotStart(description: "chromium has no page target")
        }
        return try await body(page)
    }
}
