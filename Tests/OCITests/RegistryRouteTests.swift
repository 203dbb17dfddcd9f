import Testing
import OCI

private let digestText = "sha256:\(emptySHA256)"
private let digest = try! Digest(parsing: digestText)

@Suite struct RegistryRouteTests {
    // MARK: - Base, catalog, outside /v2

    @Test(arguments: ["/v2", "/v2/"])
    func base(_ path: String) throws {
        #expect(try RegistryRoute.parse(path: path) == .base)
        #expect(try RegistryRoute.parse(path: path)?.name == nil)
    }

    @Test func catalog() throws {
        #expect(try RegistryRoute.parse(path: "/v2/_catalog") == .catalog)
        #expect(RegistryRoute.catalog.name == nil)
    }

    @Test(arguments: [
        "", "/", "/v1/", "/v2x", "/v2x/", "/v20/", "/V2/", "v2/", "//v2/", "/v3/x/manifests/latest",
        "/healthz", "/v2%2F", "/v2%2F..%2Fetc", "/x/v2/", " /v2/",
    ])
    func pathsOutsideV2AreNotRegistryRoutes(_ path: String) throws {
        #expect(try RegistryRoute.parse(path: path) == nil)
    }

    @Test func longPathsOutsideV2AreNotRegistryRoutes() throws {
        #expect(try RegistryRoute.parse(path: "/static/" + String(repeating: "a", count: 5000)) == nil)
    }

    // MARK: - Manifests

    @Test func manifestByTag() throws {
        let route = try RegistryRoute.parse(path: "/v2/library/nginx/manifests/latest")
        #expect(route == .manifest(name: "library/nginx", reference: .tag("latest")))
        #expect(route?.name == "library/nginx")
    }

    @Test func manifestByDigest() throws {
        let route = try RegistryRoute.parse(path: "/v2/nginx/manifests/\(digestText)")
        #expect(route == .manifest(name: "nginx", reference: .digest(digest)))
    }

    @Test func manifestOfDeeplyNestedName() throws {
        let route = try RegistryRoute.parse(path: "/v2/a/b/c/d/manifests/v1.0")
        #expect(route == .manifest(name: "a/b/c/d", reference: .tag("v1.0")))
    }

    @Test func invalidManifestReferencesThrow() {
        expectOCIError(.manifestUnknown) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/manifests/") }
        expectOCIError(.manifestUnknown) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/manifests/latest/") }
        expectOCIError(.manifestUnknown) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/manifests/.hidden") }
        expectOCIError(.manifestUnknown) { () throws(OCIError) in
            try RegistryRoute.parse(path: "/v2/x/manifests/" + String(repeating: "a", count: 129))
        }
        expectOCIError(.digestInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/manifests/sha256:abc") }
        expectOCIError(.digestInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/manifests/md5:d41d8cd98f00b204e9800998ecf8427e") }
    }

    // MARK: - Blobs

    @Test func blob() throws {
        let route = try RegistryRoute.parse(path: "/v2/library/nginx/blobs/\(digestText)")
        #expect(route == .blob(name: "library/nginx", digest: digest))
        #expect(route?.name == "library/nginx")
    }

    @Test func sha512Blob() throws {
        let route = try RegistryRoute.parse(path: "/v2/x/blobs/sha512:\(emptySHA512)")
        #expect(route == .blob(name: "x", digest: try Digest(parsing: "sha512:\(emptySHA512)")))
    }

    @Test(arguments: [
        "/v2/x/blobs/",
        "/v2/x/blobs/latest",
        "/v2/x/blobs/sha256:abc",
        "/v2/x/blobs/sha256:\(emptySHA256.uppercased())",
        "/v2/x/blobs/\(emptySHA256)",
        "/v2/x/blobs/sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "/v2/x/blobs/sha256:\(emptySHA256)/",
        "/v2/x/blobs/../../etc/passwd",
    ])
    func invalidBlobDigestsThrow(_ path: String) {
        expectOCIError(.digestInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: path) }
    }

    // MARK: - Tags

    @Test func tags() throws {
        let route = try RegistryRoute.parse(path: "/v2/library/nginx/tags/list")
        #expect(route == .tags(name: "library/nginx"))
        #expect(route?.name == "library/nginx")
    }

    // MARK: - Uploads

    @Test(arguments: [
        "/v2/x/blobs/uploads",
        "/v2/x/blobs/uploads/",
        "/v2/x/blobs/uploads/uuid",
        "/v2/x/blobs/uploads/0b6d8a7e-1f3c-4a4d-9a57-7c5e1f3e1b2a",
    ])
    func uploads(_ path: String) throws {
        let route = try RegistryRoute.parse(path: path)
        #expect(route == .upload(name: "x"))
        #expect(route?.name == "x")
    }

    @Test func uploadsOfNestedName() throws {
        #expect(try RegistryRoute.parse(path: "/v2/library/nginx/blobs/uploads/") == .upload(name: "library/nginx"))
    }

    @Test func uploadsPrefixIsMatchedOnlyAsAWholeComponent() throws {
        // `uploadsx` is not the uploads endpoint; it is a (bad) digest.
        expectOCIError(.digestInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/blobs/uploadsx") }
    }

    // MARK: - Names containing endpoint words (split at the LAST occurrence)

    @Test(arguments: [
        ("/v2/manifests/manifests/latest", RegistryRoute.manifest(name: "manifests", reference: .tag("latest"))),
        ("/v2/a/manifests/b/manifests/latest", .manifest(name: "a/manifests/b", reference: .tag("latest"))),
        ("/v2/manifests/manifests/manifests/latest", .manifest(name: "manifests/manifests", reference: .tag("latest"))),
        ("/v2/blobs/manifests/latest", .manifest(name: "blobs", reference: .tag("latest"))),
        ("/v2/a/blobs/b/manifests/latest", .manifest(name: "a/blobs/b", reference: .tag("latest"))),
        ("/v2/a/blobs/manifests/v1", .manifest(name: "a/blobs", reference: .tag("v1"))),
        ("/v2/blobs/uploads/manifests/latest", .manifest(name: "blobs/uploads", reference: .tag("latest"))),
        ("/v2/tags/list/manifests/latest", .manifest(name: "tags/list", reference: .tag("latest"))),
        ("/v2/a/tags/list/manifests/latest", .manifest(name: "a/tags/list", reference: .tag("latest"))),
        ("/v2/blobs/blobs/\(digestText)", .blob(name: "blobs", digest: digest)),
        ("/v2/a/blobs/b/blobs/\(digestText)", .blob(name: "a/blobs/b", digest: digest)),
        ("/v2/manifests/blobs/\(digestText)", .blob(name: "manifests", digest: digest)),
        ("/v2/a/tags/list/blobs/\(digestText)", .blob(name: "a/tags/list", digest: digest)),
        ("/v2/a/manifests/tags/list", .tags(name: "a/manifests")),
        ("/v2/a/blobs/tags/list", .tags(name: "a/blobs")),
        ("/v2/a/tags/list/tags/list", .tags(name: "a/tags/list")),
        ("/v2/a/blobs/uploads/tags/list", .tags(name: "a/blobs/uploads")),
        ("/v2/a/manifests/b/blobs/uploads/", .upload(name: "a/manifests/b")),
        ("/v2/a/blobs/uploads/b/blobs/uploads/", .upload(name: "a/blobs/uploads/b")),
    ])
    func namesContainingEndpointWordsSplitAtTheLastOccurrence(_ path: String, _ expected: RegistryRoute) throws {
        #expect(try RegistryRoute.parse(path: path) == expected)
    }

    /// A repository with a `manifests` component: the endpoint is read from the last
    /// components, so the blob route wins.
    @Test(arguments: [
        ("/v2/library/manifests/blobs/\(digestText)", RegistryRoute.blob(name: "library/manifests", digest: digest)),
        ("/v2/a/manifests/b/blobs/\(digestText)", .blob(name: "a/manifests/b", digest: digest)),
    ])
    func blobOfNameWithManifestsComponentSplitsAtLastOccurrence(_ path: String, _ expected: RegistryRoute) throws {
        #expect(try RegistryRoute.parse(path: path) == expected)
    }

    /// A repository whose name contains `blobs/uploads` (a valid name) is still pulled,
    /// not routed as an upload.
    @Test(arguments: [
        ("/v2/a/blobs/uploads/manifests/latest", RegistryRoute.manifest(name: "a/blobs/uploads", reference: .tag("latest"))),
        ("/v2/a/blobs/uploads/blobs/\(digestText)", .blob(name: "a/blobs/uploads", digest: digest)),
    ])
    func nameContainingBlobsUploadsSplitsAtLastOccurrence(_ path: String, _ expected: RegistryRoute) throws {
        #expect(try RegistryRoute.parse(path: path) == expected)
    }

    // MARK: - Unknown paths

    @Test(arguments: [
        "/v2//",
        "/v2/x",
        "/v2/library/nginx",
        "/v2/x/unknown",
        "/v2/x/tags",
        "/v2/x/tags/list/",
        "/v2/tags/list",
        "/v2/_catalog/",
        "/v2/x/referrers/\(digestText)",
        "/v2/../etc/passwd",
        "/v2/..",
        "/v2/blobs/uploads/",
        "/v2/x/manifests",
        "/v2/x/blobs",
    ])
    func unknownPathsThrowNameUnknown(_ path: String) {
        expectOCIError(.nameUnknown) { () throws(OCIError) in try RegistryRoute.parse(path: path) }
    }

    // MARK: - Malicious input

    @Test(arguments: [
        "/v2/a%2Fb/manifests/latest",
        "/v2/a%2fb/manifests/latest",
        "/v2/%2e%2e/%2e%2e/etc/passwd",
        "/v2/%2E%2E/manifests/latest",
        "/v2/library/nginx/manifests/%6Catest",
        "/v2/x/blobs/sha256%3A\(emptySHA256)",
        "/v2/x%00/manifests/latest",
        "/v2/%",
    ])
    func percentEncodingIsRefused(_ path: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: path) }
    }

    @Test(arguments: [
        ("/v2/a/../b/manifests/latest", "a/../b"),
        ("/v2/../../manifests/latest", "../.."),
        ("/v2/../etc/blobs/\(digestText)", "../etc"),
        ("/v2/a/./b/tags/list", "a/./b"),
        ("/v2//tags/list", ""),
        ("/v2//etc/manifests/latest", "/etc"),
        ("/v2/Library/Nginx/manifests/latest", "Library/Nginx"),
    ])
    func traversalNamesAreReturnedRawAndRejectedByRepositoryName(_ path: String, _ rawName: String) throws {
        // The route carries the name as it appeared; RepositoryName is what validates it.
        let route = try RegistryRoute.parse(path: path)
        #expect(route?.name == rawName)
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: route?.name ?? "") }
    }

    @Test func referenceCannotTraverse() {
        expectOCIError(.manifestUnknown) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/manifests/../../etc/passwd") }
        expectOCIError(.manifestUnknown) { () throws(OCIError) in try RegistryRoute.parse(path: "/v2/x/manifests/..") }
    }

    @Test func pathOfExactly2048BytesIsAccepted() throws {
        #expect(RegistryRoute.maximumPathLength == 2048)
        let suffix = "/manifests/latest"
        let name = String(repeating: "a", count: 2048 - "/v2/".count - suffix.count)
        let path = "/v2/\(name)\(suffix)"
        #expect(path.utf8.count == 2048)
        #expect(try RegistryRoute.parse(path: path) == .manifest(name: name, reference: .tag("latest")))
    }

    @Test(arguments: [2049, 4096, 100_000])
    func pathsOver2048BytesAreRejected(_ length: Int) {
        let suffix = "/manifests/latest"
        let path = "/v2/" + String(repeating: "a", count: length - "/v2/".count - suffix.count) + suffix
        #expect(path.utf8.count == length)
        let error = expectOCIError(.nameInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: path) }
        #expect(error?.message.contains("2048") == true)
    }

    @Test func lengthIsCheckedInUTF8Bytes() {
        // 1000 two-byte characters: 1000 characters but 2000+ bytes.
        let path = "/v2/" + String(repeating: "\u{e9}", count: 1100) + "/tags/list"
        #expect(path.count < 2048)
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: path) }
    }

    /// Found by fuzzing: a `%` or `/` followed by a combining mark is one Character
    /// with it, so a Character-based check let `%` through and `/` did not split. No
    /// valid name, reference or digest has a non-ASCII byte.
    @Test(arguments: [
        "/v2/library/nginx%\u{301}/manifests/latest",
        "/v2/library/nginx%\u{301}2F..%\u{301}2F/manifests/latest",
        "/v2/library/nginx\u{301}/manifests/latest",
        "/v2/library/nginx/\u{301}manifests/latest",
        "/v2/library/ng\u{ef}nx/tags/list",
        "/v2/\u{301}",
        "/v2/a/blobs/uploads/\u{301}",
    ])
    func nonASCIIPathsAreInvalidNames(_ path: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RegistryRoute.parse(path: path) }
    }

    @Test func nameProperty() {
        #expect(RegistryRoute.base.name == nil)
        #expect(RegistryRoute.catalog.name == nil)
        #expect(RegistryRoute.tags(name: "t").name == "t")
        #expect(RegistryRoute.upload(name: "u").name == "u")
        #expect(RegistryRoute.manifest(name: "m", reference: .tag("x")).name == "m")
        #expect(RegistryRoute.blob(name: "b", digest: digest).name == "b")
    }
}
