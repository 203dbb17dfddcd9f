import Configuration
import Foundation
import Synchronization
import SystemPackage

/// Where configuration comes from, highest first: command-line flags, `FERRY_*`
/// environment variables, the JSON config file. Remembers which keys were read, so a
/// key nobody reads (a typo, or a block of settings this version does not have) is
/// reported by name instead of being silently ignored.
public struct ConfigSources: Sendable {
    /// The values, for the parts of the configuration to read.
    public let values: ConfigValues
    /// Keys present in the config file, dotted (`cache.max-size`).
    let fileKeys: [String]
    /// `FERRY_*` variables present, except `FERRY_CONFIG`.
    let environmentNames: [String]
    /// The config file's path, when there is one.
    public let configFile: String?
    private let accessed: AccessedKeys

    /// Reads flags (dotted keys), the environment and the config file (nil: none).
    public static func load(flags: [String: String], environment: [String: String], configFile: String?) async throws(ConfigurationError) -> ConfigSources {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            flagValues[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(.string(value), isSecret: false)
        }
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .dynamic { name, _ in ["PASSWORD", "SECRET", "TOKEN", "DATABASE_URL", "PRIVATE_KEY"].contains { name.contains($0) } }
        )
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: flagValues),
            environmentProvider.prefixKeys(with: "ferry"),
        ]
        var fileKeys: [String] = []
        if let path = configFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("config file \(path): no such file")
            }
            do {
                fileKeys = try Self.keys(ofJSON: data)
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationError("config file \(path): not valid JSON configuration (\(error))")
            }
        }
        let accessed = AccessedKeys()
        return ConfigSources(
            values: ConfigValues(
                reader: ConfigReader(providers: providers, accessReporter: accessed),
                present: PresentKeys(dotted: fileKeys + flags.keys.sorted(), environment: environment.keys.filter { $0.hasPrefix("FERRY_") }.sorted())
            ),
            fileKeys: fileKeys,
            environmentNames: environment.keys.filter { $0.hasPrefix("FERRY_") && $0 != "FERRY_CONFIG" }.sorted(),
            configFile: configFile,
            accessed: accessed
        )
    }

    /// What was set but never read, once the whole configuration has been read.
    public struct UnknownKeys: Sendable, Equatable {
        /// Keys in the config file Ferry does not read (an error: the file is the
        /// operator's deliberate input, and a misspelled key must not pass unnoticed).
        public var file: [String]
        /// `FERRY_*` environment variables Ferry does not read (a warning: the
        /// environment is shared with other tools).
        public var environment: [String]

        /// True when nothing unknown was found.
        public var isEmpty: Bool { file.isEmpty && environment.isEmpty }
    }

    /// The keys set in the file or environment that no part of the configuration read.
    public func unknownKeys() -> UnknownKeys {
        let read = accessed.keys
        let readNames = Set(read.map(Self.environmentName))
        let readDotted = Set(read.map { $0.joined(separator: ".") })
        return UnknownKeys(
            file: fileKeys.filter { !readDotted.contains($0) },
            environment: environmentNames.filter { !readNames.contains($0) }
        )
    }

    /// Throws for unknown keys in the file; returns the unknown environment variables.
    public func checkUnknownKeys() throws(ConfigurationError) -> [String] {
        let unknown = unknownKeys()
        if let first = unknown.file.first {
            let more = unknown.file.count > 1 ? " (and \(unknown.file.dropFirst().joined(separator: ", ")))" : ""
            throw ConfigurationError("\(first): not a Ferry setting, in config file \(configFile ?? "-")\(more); see docs/configuration.md")
        }
        return unknown.environment
    }

    /// `FERRY_` and the key's components in upper case, anything but letters and digits
    /// as `_` (as swift-configuration's environment provider names them).
    static func environmentName(_ components: [String]) -> String {
        "FERRY_" + components.map { component in
            String(component.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
        }.joined(separator: "_")
    }

    /// The dotted keys of a JSON configuration document: every leaf, with arrays as leaves.
    static func keys(ofJSON data: Data) throws -> [String] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("the top level must be an object")
        }
        var keys: [String] = []
        func walk(_ object: [String: Any], _ prefix: String) {
            for (key, value) in object {
                let name = prefix.isEmpty ? key : "\(prefix).\(key)"
                if let nested = value as? [String: Any] { walk(nested, name) } else { keys.append(name) }
            }
        }
        walk(object, "")
        return keys.sorted()
    }
}

/// Records every key a `ConfigReader` is asked for.
final class AccessedKeys: AccessReporter {
    private let read = Mutex<Set<[String]>>([])

    func report(_ event: AccessEvent) {
        _ = read.withLock { $0.insert(event.metadata.key.components) }
    }

    var keys: Set<[String]> { read.withLock { $0 } }
}
