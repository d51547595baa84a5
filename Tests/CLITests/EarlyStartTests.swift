@testable import CLI
import Testing

/// What a process begins before the async runtime starts: the state store's
/// open for every command, libcurl's set-up only for a command that may send
/// and whose answer cannot come from the response cache first.
struct EarlyStartTests {
    func early(_ args: String..., env: [String: String] = [:]) -> LLMR.Early? {
        LLMR.early(["llmr"] + args, environment: env)
    }

    @Test func everyCommandIsKnownByName() {
        #expect(Set(LLMR.commandNames) == Set(LLMR.commands.map(\.name)))
        #expect(LLMR.commandNames.count == LLMR.commands.count)
    }

    @Test func nothingForHelpVersionOrAnUnknownCommand() {
        #expect(early() == nil)
        #expect(early("--version") == nil)
        #expect(early("--help") == nil)
        #expect(early("ask", "--help") == nil)
        #expect(early("chat", "-h") == nil)
        #expect(early("frobnicate") == nil)
        // serve runs llmr-serve at once.
        #expect(early("serve") == nil)
    }

    @Test func commandsThatSendSetLibcurlUp() {
        for command in ["ask", "chat", "bench", "providers", "models"] {
            #expect(early(command) == LLMR.Early(warmTransport: true), "\(command)")
        }
    }

    @Test func commandsThatNeverSendLeaveLibcurlAlone() {
        for command in ["route", "budget", "cache"] {
            #expect(early(command) == LLMR.Early(warmTransport: false), "\(command)")
        }
    }

    @Test func aCacheThatIsReadFirstDefersLibcurlUntilAMiss() {
        #expect(early("ask", "--cache", "read-write", "hi")?.warmTransport == false)
        #expect(early("ask", "--cache=read-only", "hi")?.warmTransport == false)
        #expect(early("chat", "--cache", "read-only")?.warmTransport == false)
        #expect(early("ask", "hi", env: ["LLMR_CACHE": "read-write"])?.warmTransport == false)
        #expect(early("ask", "hi", env: ["LLMR_CACHE": "read-only"])?.warmTransport == false)
    }

    @Test func aCacheThatIsNotReadFirstStillWarmsLibcurl() {
        #expect(early("ask", "--cache", "write-only", "hi")?.warmTransport == true)
        #expect(early("ask", "--cache", "off", "hi")?.warmTransport == true)
        #expect(early("ask", "hi", env: ["LLMR_CACHE": "write-only"])?.warmTransport == true)
        // --no-cache wins over everything, as when the mode is chosen.
        #expect(early("ask", "--no-cache", "--cache", "read-write", "hi")?.warmTransport == true)
        #expect(early("ask", "--no-cache", "hi", env: ["LLMR_CACHE": "read-only"])?.warmTransport == true)
        // The flag wins over the environment.
        #expect(early("ask", "--cache", "write-only", "hi", env: ["LLMR_CACHE": "read-only"])?.warmTransport == true)
        // A bad mode is refused later, with its message; until then libcurl is set up as usual.
        #expect(early("ask", "--cache", "bogus", "hi")?.warmTransport == true)
        // After "--" everything is prompt text.
        #expect(early("ask", "--", "--cache", "read-write")?.warmTransport == true)
        // bench never reads the cache.
        #expect(early("bench", "--cache", "read-write")?.warmTransport == true)
    }
}
