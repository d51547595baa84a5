import FakeProvider
#if canImport(Glibc)
import Glibc
#endif

/// llmr-fake: the fake provider as a process, for the demo and the benchmarks.
let usage = """
usage: llmr-fake [--script FILE] [--port N] [--port-file FILE] [--for SECONDS]
                 [--send-log FILE]

Serves OpenAI-format chat completions on 127.0.0.1 with scripted replies and
faults. A fake provider NAME lives at http://127.0.0.1:PORT/NAME/v1. A provider
the script does not name (every one, without --script) answers with a short
greeting, or as the script's "default" behaviour says. Stops after --for
seconds (default 3600). --send-log writes a line for every chunk of streamed
answer text when it was sent: stream number, chunk number, monotonic seconds.
"""

func say(_ message: String) {
    let bytes = Array("llmr-fake: \(message)\n".utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    say(message)
    exit(64)
}

func need<T>(_ value: T?, _ message: String) -> T {
    guard let value else { fail(message) }
    return value
}

func readFile(_ path: String) -> String? {
    FileBytes.read(path).map { String(decoding: $0, as: UTF8.self) }
}

var scriptPath: String?
var port: UInt16 = 0
var portFile: String?
var lifetime: UInt32 = 3600
var args = CommandLine.arguments.dropFirst().makeIterator()
while let arg = args.next() {
    switch arg {
    case "--script": scriptPath = need(args.next(), "--script needs a file")
    case "--port": port = need(UInt16(args.next() ?? ""), "--port needs a number from 0 to 65535")
    case "--port-file": portFile = need(args.next(), "--port-file needs a file")
    case "--for": lifetime = need(UInt32(args.next() ?? ""), "--for needs a number of seconds")
    case "--send-log":
        let path = need(args.next(), "--send-log needs a file")
        if !SendLog.open(path) { fail("cannot write \(path)") }
    case "-h", "--help": print(usage); exit(0)
    default: fail("unknown argument '\(arg)'\n\(usage)")
    }
}

var script = FakeScript(unscripted: FakeBehaviour())
if let scriptPath {
    let text = need(readFile(scriptPath), "cannot read \(scriptPath)")
    do { script = try FakeScript(json: text) } catch { fail("\(scriptPath): \(error)") }
    if script.unscripted == nil { script.unscripted = FakeBehaviour() }
}
let server: FakeServer
do { server = try FakeServer(script: script, port: port) } catch { fail("\(error)") }
if let portFile {
    guard let f = fopen(portFile + ".tmp", "w") else { fail("cannot write \(portFile)") }
    fputs("\(server.port)\n", f)
    fclose(f)
    rename(portFile + ".tmp", portFile)
}
say("listening on http://127.0.0.1:\(server.port)")
signal(SIGTERM) { _ in _exit(0) }
signal(SIGINT) { _ in _exit(0) }
sleep(lifetime)
