internal import CStartup

/// The standard descriptors as the process found them. A descriptor that was
/// closed was opened on /dev/null before anything else ran (`CStartup`), so
/// that nothing llmr or its runtime opens takes its number and is mistaken for it.
public enum StandardStreams {
    public static var stdinWasClosed: Bool { llmr_closed_standard_fds() & 1 != 0 }
    public static var stdoutWasClosed: Bool { llmr_closed_standard_fds() & 2 != 0 }

    /// The width of the terminal on `fd` (TIOCGWINSZ); nil when it is not one or gives no width.
    public static func terminalColumns(_ fd: Int32) -> Int? {
        let n = Int(llmr_terminal_columns(fd))
        return n > 0 ? n : nil
    }
}
