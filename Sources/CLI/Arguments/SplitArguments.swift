/// One piece of the command line, with its position in argv so errors can point at it.
public enum ArgToken: Sendable, Equatable {
    /// `--name` or `--name=value`.
    case long(name: String, value: String?, index: Int)
    /// `-abc`: one or more short flags, the last of which may take the rest as its value.
    case short(letters: String, index: Int)
    /// A plain word, or anything after `--`.
    case value(String, index: Int)
    /// `--`: everything after it is a value.
    case terminator(index: Int)
}

/// Turns argv (without the program and command names) into tokens.
public enum SplitArguments {
    public static func split(_ args: [String]) -> [ArgToken] {
        var tokens: [ArgToken] = []
        var afterTerminator = false
        for (i, arg) in args.enumerated() {
            if afterTerminator {
                tokens.append(.value(arg, index: i))
            } else if arg == "--" {
                afterTerminator = true
                tokens.append(.terminator(index: i))
            } else if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                if let eq = body.firstIndex(of: "=") {
                    tokens.append(.long(name: String(body[..<eq]), value: String(body[body.index(after: eq)...]), index: i))
                } else {
                    tokens.append(.long(name: String(body), value: nil, index: i))
                }
            } else if arg.hasPrefix("-"), arg.count > 1, !arg.dropFirst().allSatisfy({ $0.isNumber || $0 == "." }) {
                tokens.append(.short(letters: String(arg.dropFirst()), index: i))
            } else {
                tokens.append(.value(arg, index: i))
            }
        }
        return tokens
    }
}
