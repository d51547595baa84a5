import RouterCore
import StateStore
#if canImport(Glibc)
import Glibc
#endif

/// Where the state database lives: `$LLMR_STATE_DIR/state.sqlite`, else
/// `$XDG_STATE_HOME/llmr/state.sqlite`, else `~/.local/state/llmr/state.sqlite`.
public enum StatePath {
    public static func directory(_ env: [String: String]) -> String? {
        if let d = env["LLMR_STATE_DIR"], !d.isEmpty { return d }
        if let x = env["XDG_STATE_HOME"], !x.isEmpty { return x + "/llmr" }
        if let h = env["HOME"], !h.isEmpty { return h + "/.local/state/llmr" }
        return nil
    }

    /// Creates the directory and its parents; false when that fails.
    public static func makeDirectory(_ path: String) -> Bool {
        // Nearly always there already: one stat instead of a mkdir per part.
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return true }
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o700) != 0, errno != EEXIST { return false }
        }
        return true
    }

    /// Opens (creating if needed) the state database in `dir`.
    static func open(_ dir: String) -> Result<any StateBackend, StateFailure> {
        guard makeDirectory(dir) else {
            return .failure(StateFailure(path: dir, reason: "cannot create the directory"))
        }
        return Result { () throws(StateFailure) -> any StateBackend in try AttemptLog(path: dir + "/state.sqlite") }
    }
}
