import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// `llmr providers check`: the probes (`HealthCheck`) round after round, and their table.
struct ProviderCheck {
    let terminal: Terminal
    let context: RoutingContext
    let json: Bool
    var color = false

    typealias Probe = HealthCheck.Probe
    var config: Config { context.config }

    func run(_ providers: [ProviderConfig], watch: Bool, count: Int?, report: Report) async -> Int32 {
        var round = 0
        var shared: (address: String, ok: Bool, detail: String)?
        var last: [Probe] = []
        repeat {
            round += 1
            let started = SystemClock().now()
            last = await HealthCheck(context: context).probeAll(providers)
            shared = context.checkSharedState()
            show(last, round: round, watching: watch, shared: shared)
            if !watch || round == count { break }
            let wait = started + config.healthInterval - SystemClock().now()
            if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(nanoseconds: wait)) }
        } while true
        // The exit status of the last round: 0 when every provider answered.
        return last.allSatisfy { $0.outcome == .ok } && shared?.ok != false ? ExitCode.ok.rawValue : ExitCode.unavailable.rawValue
    }

    func show(_ probes: [Probe], round: Int, watching: Bool, shared: (address: String, ok: Bool, detail: String)? = nil) {
        if json {
            var extra: [(String, JSONValue)] = []
            if let shared {
                extra.append(("shared_state", .object([("address", .string(shared.address)), ("ok", .bool(shared.ok)), ("detail", .string(shared.detail))])))
            }
            Output.stdout(JSONValue.object([
                ("schema", "llmr.providers.check/1"), ("round", .number(Double(round))),
                ("probes", .array(probes.map { p in
                    .object([("provider", .string(p.provider)), ("outcome", .string("\(p.outcome)")),
                             ("status", p.status.map { .number(Double($0)) } ?? .null),
                             ("latency_ms", .number(Double(p.latencyMs))), ("probe", .string(p.via)),
                             ("message", p.message.map { .string($0) } ?? .null)])
                })),
            ] + extra).serialized() + "\n")
            return
        }
        let sharedLine = shared.map { "shared state \($0.address): \($0.ok ? "ok" : "unavailable") — \($0.detail)\n" } ?? ""
        if watching, !terminal.stdoutIsTTY {
            // One line per probe: what a log or a pipe wants.
            let stamp = Timestamp.iso(SystemClock().wallTime())
            for p in probes {
                Output.stdout("\(stamp) \(p.provider) \(p.outcome) \(p.latencyMs)ms via \(p.via)\(p.message.map { " " + $0 } ?? "")\n")
            }
            if !sharedLine.isEmpty { Output.stdout("\(stamp) \(sharedLine)") }
            return
        }
        let columns = [Table.Column("provider", elide: 12), Table.Column("status"), Table.Column("latency"),
                       Table.Column("probe", drop: 1), Table.Column("detail", wraps: true)]
        var cells: [[String]] = []
        for p in probes {
            let via = p.outcome == .noKey || p.outcome == .unsupported ? "-" : p.via
            // Green for an answer, yellow for what is not the provider's fault (no key, no model list), red for a failure.
            let code = p.outcome == .ok ? "32" : p.outcome == .noKey || p.outcome == .unsupported ? "33" : "31"
            let status = color ? "\u{1B}[\(code)m\(p.outcome)\u{1B}[0m" : "\(p.outcome)"
            cells.append([p.provider, status, p.outcome == .noKey ? "-" : "\(p.latencyMs) ms", via, p.message ?? ""])
        }
        var text = Table.render(columns, cells, width: terminal.stdoutColumns)
        if watching {
            // Redraw in place on a terminal.
            text = "\u{1B}[H\u{1B}[2J" + "llmr providers check — round \(round), every \(DurationParser.format(config.healthInterval)); Ctrl-C stops\n\n" + text
        }
        Output.stdout(text + sharedLine)
    }
}
