import Testing
import OCI

@Suite struct ScopeTests {
    @Test func parsesRepositoryPull() throws {
        let scope = try Scope(parsing: "repository:library/nginx:pull")
        #expect(scope.type == "repository")
        #expect(scope.name == "library/nginx")
        #expect(scope.actions == ["pull"])
    }

    @Test func nameMayContainARegistryPort() throws {
        let scope = try Scope(parsing: "repository:host:5000/x:pull,push")
        #expect(scope.type == "repository")
        #expect(scope.name == "host:5000/x")
        #expect(scope.actions == ["pull", "push"])
    }

    @Test func actionsKeepTheirOrder() throws {
        #expect(try Scope(parsing: "repository:a:push,pull,delete").actions == ["push", "pull", "delete"])
    }

    @Test func emptyActions() throws {
        let scope = try Scope(parsing: "repository:library/nginx:")
        #expect(scope.name == "library/nginx")
        #expect(scope.actions == [])
        #expect(try Scope(parsing: "repository:a:,,").actions == [])
        #expect(try Scope(parsing: "repository:a:pull,,push,").actions == ["pull", "push"])
    }

    /// Found by fuzzing: a `:` or `,` followed by a combining mark is one Character with
    /// it, so a Character search split at a later colon or not at all. The type ends at
    /// the first colon byte, the actions start after the last and split at commas.
    @Test func splitsAtColonAndCommaBytesEvenBeforeCombiningMarks() throws {
        let scope = try Scope(parsing: "a:\u{301}b:c:pull")
        #expect(scope.type == "a")
        #expect(scope.name == "\u{301}b:c")
        #expect(scope.actions == ["pull"])
        let lastColon = try Scope(parsing: "repository:x:\u{301}pull")
        #expect(lastColon.name == "x")
        #expect(lastColon.actions == ["\u{301}pull"])
        #expect(try Scope(parsing: "repository:x:pull,\u{301}push").actions == ["pull", "\u{301}push"])
    }

    @Test func registryCatalogScope() throws {
        let scope = try Scope(parsing: "registry:catalog:*")
        #expect(scope == Scope(type: "registry", name: "catalog", actions: ["*"]))
    }

    @Test(arguments: [
        "",
        "repository",
        "repository:library/nginx",
        ":",
        "::",
        ":::",
        ":library/nginx:pull",
        "repository::pull",
        "pull",
    ])
    func malformedScopesAreDenied(_ text: String) {
        let error = expectOCIError(.denied) { () throws(OCIError) in try Scope(parsing: text) }
        #expect(error?.code.httpStatus == 403)
    }

    @Test func lengthLimitIs1024Bytes() throws {
        let prefix = "repository:"
        let suffix = ":pull"
        let name = String(repeating: "a", count: 1024 - prefix.count - suffix.count)
        #expect(try Scope(parsing: prefix + name + suffix).name == name)
        let error = expectOCIError(.denied) { () throws(OCIError) in try Scope(parsing: prefix + name + "a" + suffix) }
        #expect((error?.message.count ?? .max) < 200)
    }

    @Test func nameIsNotValidatedHere() throws {
        // Scope carries what the token server or client sent; RepositoryName validates.
        let scope = try Scope(parsing: "repository:../../etc:pull")
        #expect(scope.name == "../../etc")
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: scope.name) }
    }

    @Test(arguments: [
        "repository:library/nginx:pull",
        "repository:host:5000/x:pull,push",
        "registry:catalog:*",
        "repository:a:",
    ])
    func descriptionRoundTrips(_ text: String) throws {
        let scope = try Scope(parsing: text)
        #expect(scope.description == text)
        #expect(try Scope(parsing: scope.description) == scope)
    }

    @Test func descriptionNormalisesEmptyActions() throws {
        #expect(try Scope(parsing: "repository:a:pull,,push,").description == "repository:a:pull,push")
    }

    @Test func pullScope() throws {
        let scope = Scope.pull(try RepositoryName(parsing: "library/nginx"))
        #expect(scope == Scope(type: "repository", name: "library/nginx", actions: ["pull"]))
        #expect(scope.description == "repository:library/nginx:pull")
    }

    @Test func hashable() {
        let a = Scope(type: "repository", name: "a", actions: ["pull", "push"])
        let b = Scope(type: "repository", name: "a", actions: ["push", "pull"])
        #expect(a != b)
        #expect(Set([a, a, b]).count == 2)
    }
}
