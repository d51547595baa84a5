import Engine

/// The exit codes of the contract (sysexits).
public enum ExitCode: Int32, Sendable {
    case ok = 0
    case usage = 64
    case dataError = 65
    case unavailable = 69
    case software = 70
    case ioError = 74
    case temporary = 75
    case noPermission = 77
    case config = 78
    case interrupted = 130
}

extension ExitCode {
    /// The exit code for a problem found before anything was sent.
    init(_ kind: Problem.Kind) {
        switch kind {
        case .usage, .noPrompt: self = .usage
        case .input: self = .dataError
        case .config: self = .config
        case .state, .editline, .unavailable, .cacheMiss: self = .unavailable
        case .budget: self = .temporary
        }
    }
}
