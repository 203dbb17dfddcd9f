import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders portal pages from the Mustache templates in the module's resources, with
/// the headers every page gets (no caching, no framing, a strict content security
/// policy), and serves the embedded stylesheet and script.
///
/// Templates only use `{{ }}`, which HTML-escapes; nothing is ever inserted unescaped.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let assets: [String: (contentType: String, bytes: [UInt8])]

    /// Loads the templates and assets bundled with the module.
    public static func bundled() async throws -> PageRenderer {
        guard let root = Bundle.module.resourceURL else { throw PortalSetupError("portal resources are missing") }
        return try await PageRenderer(templates: root.appendingPathComponent("Templates").path, assets: root.appendingPathComponent("Static").path)
    }

    /// Loads templates and assets from these directories.
    public init(templates: String, assets: String) async throws {
        library = try await MustacheLibrary(directory: templates)
        guard library.getTemplate(named: "layout") != nil else { throw PortalSetupError("portal templates not found in \(templates)") }
        var loaded: [String: (String, [UInt8])] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: assets)) ?? [] {
            guard let data = FileManager.default.contents(atPath: assets + "/" + name) else { continue }
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
            loaded[name] = (type, Array(data))
        }
        self.assets = loaded
    }

    /// The HTML of `template` for `frame` and `content` (exposed for tests).
    func html(_ template: String, frame: PageFrame, content: any Sendable) -> String {
        library.render(PageModel(frame: frame, content: content), withTemplate: template) ?? "template \(template) is missing"
    }

    /// A page response. `formTargets` are the origins its forms may lead to besides this
    /// site (a payment provider a form's answer redirects to: browsers hold redirects after
    /// a form to the page's `form-action` policy).
    func page(
        _ template: String, frame: PageFrame, content: any Sendable = [String: String](), status: HTTPResponse.Status = .ok, formTargets: [String] = []
    ) -> Response {
        var response = Response(
            status: status,
            headers: Self.pageHeaders,
            body: ResponseBody(byteBuffer: ByteBuffer(string: html(template, frame: frame, content: content)))
        )
        response.headers[.contentType] = "text/html; charset=utf-8"
        if !formTargets.isEmpty {
            response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy(formTargets: formTargets)
        }
        return response
    }

    /// An embedded stylesheet or script, or nil.
    func asset(_ name: String) -> Response? {
        guard let asset = assets[name] else { return nil }
        return Response(
            status: .ok,
            headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=3600", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes))
        )
    }

    /// A `303 See Other` to `location` (after a form, or to the sign-in page).
    static func redirect(to location: String) -> Response {
        var headers = pageHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// Headers of every page: nothing cached, nothing framed, only this origin's
    /// stylesheet and script, forms posting only here.
    static let pageHeaders: HTTPFields = [
        .cacheControl: "no-store",
        .contentSecurityPolicy: contentSecurityPolicy(formTargets: []),
        .xFrameOptions: "DENY",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "same-origin",
    ]
}

extension PageRenderer {
    /// The pages' policy, with `form-action` opened to `formTargets` (origins only).
    static func contentSecurityPolicy(formTargets: [String]) -> String {
        let targets = formTargets.filter { $0.allSatisfy { !$0.isWhitespace && $0 != ";" && $0 != "'" } }
        return "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'\(targets.map { " " + $0 }.joined()); "
            + "frame-ancestors 'none'; base-uri 'none'"
    }
}

/// The portal could not be set up (templates missing or malformed).
public struct PortalSetupError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
