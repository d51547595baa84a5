import CLI
#if canImport(Glibc)
import Glibc
#endif

// libcurl's set-up and the state database's open start now, on threads of
// their own, before the async runtime does anything.
LLMR.startEarly(CommandLine.arguments)
let code = await LLMR.process()
LLMR.settle()
exit(code)
