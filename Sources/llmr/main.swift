import CLI
import RouterCore

// The state database's open (and, for a command that will send, libcurl's
// set-up) start now, on threads of their own, before the async runtime does anything.
LLMR.startEarly(CommandLine.arguments)
let code = await LLMR.process()
LLMR.finish(code)
