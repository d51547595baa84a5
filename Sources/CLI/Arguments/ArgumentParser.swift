import RouterCore

/// A command line that parsed: options by long name, in order, and the positional words.
public struct ParsedArguments: Sendable, Equatable {
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []
    public var positionals: [String] = []

    public func value(_ long: String) -> String? { values[long]?.last }
    public func has(_ long: String) -> Bool { flags.contains(long) }
}

/// A mistake on the command line: exit 64, with a message that names the culprit.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Parses tokens against a command's options.
public struct ArgumentParser: Sendable {
    public let spec: CommandSpec

    public init(spec: CommandSpec) {
        self.spec = spec
    }

    public func parse(_ args: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var tokens = SplitArguments.split(args)[...]
        let longNames = spec.options.map { "--\($0.long)" }

        func take(_ option: OptionSpec, inline: String?, shown: String) throws(UsageError) {
            guard let placeholder = option.value else {
                if inline != nil { throw UsageError("option '\(shown)' takes no value") }
                parsed.flags.insert(option.long)
                return
            }
            if let inline {
                parsed.values[option.long, default: []].append(inline)
                return
            }
            guard let next = tokens.popFirst() else {
                throw UsageError("option '\(shown)' needs a value (\(placeholder))")
            }
            switch next {
            case .value(let v, _): parsed.values[option.long, default: []].append(v)
            case .long(let n, let v, _): parsed.values[option.long, default: []].append("--\(n)" + (v.map { "=\($0)" } ?? ""))
            case .short(let l, _): parsed.values[option.long, default: []].append("-\(l)")
            case .terminator: throw UsageError("option '\(shown)' needs a value (\(placeholder))")
            }
        }

        while let token = tokens.popFirst() {
            switch token {
            case .terminator:
                continue
            case .value(let v, _):
                parsed.positionals.append(v)
            case .long(let name, let inline, _):
                guard let option = spec.options.first(where: { $0.long == name }) else {
                    throw UsageError("unknown option '--\(name)' for '\(spec.name)'\(Suggest.hint("--\(name)", in: longNames))")
                }
                try take(option, inline: inline, shown: "--\(name)")
            case .short(let letters, _):
                var rest = Substring(letters)
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    guard let option = spec.options.first(where: { $0.short == letter }) else {
                        let shorts = spec.options.compactMap { $0.short.map { "-\($0)" } }
                        throw UsageError("unknown option '-\(letter)' for '\(spec.name)'\(Suggest.hint("-\(letter)", in: shorts + longNames))")
                    }
                    if option.value != nil {
                        // `-mgpt-5` is `-m gpt-5`.
                        try take(option, inline: rest.isEmpty ? nil : String(rest), shown: "-\(letter)")
                        break
                    }
                    try take(option, inline: nil, shown: "-\(letter)")
                }
            }
        }
        return parsed
    }
}
