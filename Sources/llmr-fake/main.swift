import FakeProvider
#if canImport(Glibc)
import Glibc
#endif

/// llmr-fake: the fake provider as a process, for the demo and the benchmarks.
let usage = """
usage: llmr-fake [--script FILE] [--port N] [--port-file FILE] [--for SECONDS]
                 [--send-log FILE]

Serves all three chat APIs on 127.0.0.1 with scripted replies and faults. A
fake provider NAME lives under http://127.0.0.1:PORT/NAME: OpenAI's format at
NAME/v1/chat/completions, Anthropic's at NAME/v1/messages, Gemini's at
NAME/v1beta/models/MODEL:generateContent (and :streamGenerateContent), and the
model list at NAME/.../models. A provider the script does not name (every one,
without --script) answers with a short greeting, or as the script's "default"
says. Stops after --for seconds (default 3600). --port-file writes the port
once listening. --send-log writes a line for every chunk of streamed answer
text when it was sent: stream number, chunk number, monotonic seconds.

The script (JSON):
  {"providers": {"NAME": BEHAVIOUR | [BEHAVIOUR, ...] | {"cycle": [...]}},
   "default": BEHAVIOUR}
A list plays in order, its last entry repeating; a cycle starts over.
A BEHAVIOUR is an object of these keys, all optional:
  text               the answer ("Hello from the fake provider.")
  chunks             the stream's chunks exactly as given (they join into the answer)
  echo               true: answer with the last user message
  repeat             send the text this many times over
  status             HTTP status (200)
  headers            extra response headers, an object of names and values
  retry_after        the Retry-After header
  body               a raw body (an error body, or with status 200 any file); content_type its type
  delay_ms           wait before the response head
  first_token_delay_ms, chunk_delay_ms
                     wait before the first chunk; between chunks
  stall_after, stall_ms
                     after N chunks go silent for stall_ms (30000)
  truncate_after     after N chunks end the body without the end marker
  disconnect_after   after N chunks close the connection; disconnect: true at once
  malformed_after    after N chunks send an event that is not JSON
  error_event_after  after N chunks send an error event inside the 200 stream
  input_tokens, output_tokens
                     the usage to report (estimated otherwise)
  usage              the usage object verbatim (null: none)
  finish             the finish reason verbatim (length, max_tokens, SAFETY, ...)
  require_key        401 unless the request carries this key
  echo_key           401 quoting the key the request carried
  bom                start the stream with a UTF-8 byte order mark
  after_end          raw bytes sent after the end marker
  bill_max_tokens    report as many output tokens as the request's max tokens
  usage_after_finish Gemini: the token counts in one more event after finishReason
  hold_open_ms       keep the connection open this long after the end marker
  ignore_prefill     answer a prefill with the whole text again (a restart)
  no_model_list      answer the model list with 404
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
