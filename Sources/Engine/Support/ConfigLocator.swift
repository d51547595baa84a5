import RouterCore

/// Finds and loads the configuration in the contract's order: `--config`,
/// `$LLMR_CONFIG`, `$XDG_CONFIG_HOME/llmr/config.yaml` (or `~/.config/…`), else the embedded default.
public enum ConfigLocator {
    public static func path(explicit: String?, environment: [String: String]) -> String? {
        if let explicit { return explicit }
        if let p = environment["LLMR_CONFIG"], !p.isEmpty { return p }
        let base: String?
        if let x = environment["XDG_CONFIG_HOME"], !x.isEmpty { base = x }
        else if let home = environment["HOME"], !home.isEmpty { base = home + "/.config" }
        else { base = nil }
        if let base, FileIO.exists(base + "/llmr/config.yaml") { return base + "/llmr/config.yaml" }
        return nil
    }

    /// The config, with the keys it names registered for redaction.
    public static func load(explicit: String?, environment: [String: String]) throws(ConfigError) -> Config {
        // Prices `llmr models update` saved, read only if a name is looked up in the catalog.
        if let dir = StatePath.directory(environment) {
            Catalog.useUpdates { (try? FileIO.read(path: CatalogRefresh.path(dir), regularOnly: true)).flatMap { String(validating: $0, as: UTF8.self) } }
        }
        let config = try read(explicit: explicit, environment: environment)
        EnvironmentKeys.registerSecrets(of: config, environment: environment)
        return config
    }

    static func read(explicit: String?, environment: [String: String]) throws(ConfigError) -> Config {
        guard let path = path(explicit: explicit, environment: environment) else {
            return try ConfigLoader.load(yaml: DefaultConfig.yaml, source: DefaultConfig.source)
        }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path: path) } catch {
            throw ConfigError(file: path, message: "cannot read the config file: \(error.message)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: path, message: "the config file is not UTF-8 text")
        }
        return try ConfigLoader.load(yaml: text, source: path)
    }
}
