import Engine
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM, handled on a thread of their own rather than in a
/// signal handler, so that the interrupted command can still record what it
/// did (an answer that was paid for, a 429's cooldown) before it exits.
///
/// The handler only writes the signal's number into a pipe. The watcher
/// thread reads it, kills any `key_cmd` still running (its whole process
/// group), cancels the command's task, and gives it `grace` seconds to finish
/// and record; past that, or at a second signal, it ends the process at once
/// with 128 + the signal's number.
enum Interrupts {
    /// How long an interrupted command has to record what it did.
    static let grace = 0.09

    /// The signal that interrupted this process; 0 while none has.
    static let received = Atomic<Int32>(0)
    /// What to cancel when a signal arrives, and whether the process then ends.
    private static let target = Mutex<(cancel: (@Sendable () -> Void)?, mode: Mode)>((nil, .exits))

    /// What a signal does to the command that runs.
    enum Mode: Sendable, Equatable {
        /// Cancel, give the command `grace` to record, then end the process.
        case exits
        /// The REPL: Ctrl-C cancels what goes on (an answer, a line) and llmr goes on; other signals as `exits`.
        case interruptsOnly
        /// bench: cancel and let the command wind down (print and record what
        /// finished) however long that takes; a second signal ends the process at once.
        case windsDown
    }
    nonisolated(unsafe) private static var writeFD: Int32 = -1

    /// Installs the handlers and starts the watcher. Call once, early in `main`.
    static func install() {
        var fds: [Int32] = [-1, -1]
        guard Pipes.make(&fds) else { return }
        writeFD = fds[1]
        _ = received.load(ordering: .relaxed)
        let readFD = fds[0]
        guard DetachedThread.start({ Interrupts.watch(readFD) }) else { return }
        for sig in Self.handled {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                var byte = UInt8(truncatingIfNeeded: sig)
                _ = Glibc.write(Interrupts.writeFD, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
        // A reader that went away is an EPIPE on write, handled there; not a silent death.
        signal(SIGPIPE, SIG_IGN)
        // A parent may have left them blocked (a test runner, a supervisor):
        // this thread, which runs the command, takes them whatever it inherited.
        var handled = sigset_t()
        sigemptyset(&handled)
        for sig in Self.handled { sigaddset(&handled, sig) }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }

    /// The signals that end llmr the orderly way: Ctrl-C, a polite kill, the
    /// terminal hanging up, Ctrl-\.
    static let handled = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Written to stdout just before the watcher ends the process (the REPL
    /// sets it to turn bracketed paste off), so no terminal is left changed.
    private static let lastWords = Mutex<String?>(nil)

    static func onExit(write text: String?) { lastWords.withLock { $0 = text } }

    /// Cancels `cancel` when a signal arrives (nil: nothing to cancel); what
    /// follows is `mode`'s.
    static func onSignal(_ mode: Mode = .exits, _ cancel: (@Sendable () -> Void)?) {
        target.withLock { $0 = (cancel, mode) }
    }

    /// The exit code for an interrupted process, or nil when none was.
    static var exitCode: Int32? {
        let sig = received.load(ordering: .relaxed)
        return sig == 0 ? nil : 128 + sig
    }

    private static func watch(_ fd: Int32) {
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            guard n == 1 else { return }
            let sig = Int32(byte)
            ChildProcesses.killAll()
            let (cancel, mode) = target.withLock { $0 }
            // Ctrl-C in the REPL stops what is going on (an answer, a line), not llmr.
            if mode == .interruptsOnly, sig == SIGINT {
                cancel?()
                continue
            }
            // A second signal while a command winds down ends it at once.
            let again = received.load(ordering: .relaxed) != 0
            received.store(sig, ordering: .relaxed)
            if sig == SIGINT { _ = Glibc.write(2, "\n", 1) }
            cancel?()
            if mode == .windsDown, !again { continue }
            // The command has `grace` to record and exit; then, or at a second signal, the process ends.
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(grace * 1000))
            if let words = lastWords.withLock({ $0 }) { _ = words.withCString { Glibc.write(1, $0, strlen($0)) } }
            _exit(128 + sig)
        }
    }
}
