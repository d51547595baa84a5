/// A YAML node with the key path that led to it, so every error can say where it is.
struct ConfigNode {
    let node: YAMLNode
    let path: String
    let file: String

    var line: Int? { node.line }
    var column: Int? { node.column }

    func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, column: column, key: path.isEmpty ? nil : path, message: message)
    }

    private func child(_ node: YAMLNode, _ key: String) -> ConfigNode {
        ConfigNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    var isNull: Bool {
        guard case .scalar(let s, let plain) = node.content else { return false }
        return plain && ["", "~", "null", "Null", "NULL"].contains(s)
    }

    private var kind: String {
        switch node.content {
        case .scalar(let s, _): return "'\(s)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// The entries of a mapping in file order; a key outside `allowed` is an error naming the nearest one.
    func entries(allowed: [String]? = nil) throws(ConfigError) -> [(String, ConfigNode)] {
        guard case .mapping(let mapping) = node.content else {
            throw error("expected a mapping of keys to values, got \(kind)")
        }
        var out: [(String, ConfigNode)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let k, _) = keyNode.content else {
                throw ConfigNode(node: keyNode, path: path, file: file).error("keys must be plain text")
            }
            let entry = child(value, k)
            if let allowed, !allowed.contains(k) {
                let where_ = path.isEmpty ? "at the top level" : "in \(path)"
                throw ConfigNode(node: keyNode, path: entry.path, file: file)
                    .error("unknown key '\(k)' \(where_)\(Suggest.hint(k, in: allowed)); expected one of: \(allowed.joined(separator: ", "))")
            }
            out.append((k, entry))
        }
        return out
    }

    /// The items of a list.
    func items() throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let seq) = node.content else {
            throw error("expected a list, got \(kind)")
        }
        return seq.enumerated().map { child($0.element, "\($0.offset)") }
    }

    func string() throws(ConfigError) -> String {
        guard case .scalar(let s, _) = node.content, !isNull else {
            throw error("expected text, got \(isNull ? "nothing" : kind)")
        }
        return s
    }

    func nonEmptyString() throws(ConfigError) -> String {
        let s = try string()
        if s.trimmingWhitespace().isEmpty { throw error("expected text, got an empty value") }
        return s
    }

    /// A whole number within `range`; the error names the range.
    func int(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .scalar(let s, _) = node.content, let v = Int(s.replacingUnderscores()), range.contains(v) else {
            throw error("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(kind)")
        }
        return v
    }

    /// A finite number within `range`; the error names the range.
    func double(_ range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard case .scalar(let s, _) = node.content, let v = Double(s.replacingUnderscores()), v.isFinite, range.contains(v) else {
            throw error("expected a number from \(NumberText.plain(range.lowerBound)) to \(NumberText.plain(range.upperBound)), got \(kind)")
        }
        return v
    }

    func bool() throws(ConfigError) -> Bool {
        guard case .scalar(let s, _) = node.content else { throw error("expected true or false, got \(kind)") }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, got \(kind)")
        }
    }

    /// A duration within `range`; the error names the range.
    /// A size in bytes: a whole number, or one with KiB, MiB or GiB (KB, MB, GB: powers of ten).
    func byteSize(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try string().trimmingWhitespace()
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        var number = text, factor = 1
        for (suffix, f) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count)).trimmingWhitespace()
            factor = f
            break
        }
        guard let n = Int(number), n >= 0, case let (v, overflow) = n.multipliedReportingOverflow(by: factor), !overflow, range.contains(v) else {
            throw error("expected a size from \(range.lowerBound) to \(range.upperBound) bytes (such as 32MiB), not '\(text)'")
        }
        return v
    }

    func duration(_ range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard case .scalar(let s, _) = node.content, let v = DurationParser.seconds(s), range.contains(v) else {
            throw error("expected a duration from \(DurationParser.exact(range.lowerBound)) to \(DurationParser.exact(range.upperBound)), such as 500ms, 30s or 2m, got \(kind)")
        }
        return v
    }

    func oneOf(_ choices: [String]) throws(ConfigError) -> String {
        let s = try string()
        guard choices.contains(s) else {
            throw error("expected one of \(choices.joined(separator: ", ")), got '\(s)'\(Suggest.hint(s, in: choices))")
        }
        return s
    }
}

private extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
