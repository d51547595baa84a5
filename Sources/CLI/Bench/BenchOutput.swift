import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// What `bench` prints: the side-by-side table and histograms, `llmr.bench/1`,
/// one CSV row per request, and the `--fail-if` verdicts.
struct BenchOutput {
    let figures: [BenchFigures]
    /// What each target accumulated (the histograms are drawn from it).
    let accumulators: [BenchAccumulator]
    let settings: BenchCommand.Settings
    let color: Bool

    static func ms(_ seconds: Double?) -> String {
        guard let s = seconds else { return "-" }
        return s < 0.01 ? "\(NumberText.plain((s * 10_000).rounded() / 10)) ms" : "\(Int(milliseconds: s)) ms"
    }

    /// The side-by-side table, fitted to `width` columns on a terminal: the
    /// tail percentiles and rates give way first, target names are elided.
    func table(histograms: Bool, width: Int? = nil) -> String {
        let columns = [
            Table.Column("target", elide: 12), Table.Column("ok/n"), Table.Column("errors", short: "err"),
            Table.Column("ttft p50", short: "ttft"), Table.Column("p95", drop: 4), Table.Column("p99", drop: 6),
            Table.Column("tpot p50", short: "tpot", drop: 5), Table.Column("e2e p50", short: "e2e"), Table.Column("p95", drop: 3),
            Table.Column("p99", drop: 7), Table.Column("out tok/s", short: "tok/s", drop: 2), Table.Column("req/s", drop: 1),
            Table.Column("$/req"),
        ]
        var cells: [[String]] = []
        for f in figures {
            cells.append([f.target, "\(f.succeeded)/\(f.requests)", ProviderStats.pct(f.errorRate),
                          Self.ms(f.ttft.p50), Self.ms(f.ttft.p95), Self.ms(f.ttft.p99), Self.ms(f.tpot.p50),
                          Self.ms(f.e2e.p50), Self.ms(f.e2e.p95), Self.ms(f.e2e.p99),
                          NumberText.plain((f.outputTokensPerSecond * 10).rounded() / 10), NumberText.plain((f.requestsPerSecond * 100).rounded() / 100),
                          // No answer, no bill: "-"; answers from a model with no price: "unknown".
                          f.costPerRequest.map { "$" + NumberText.sixDecimals($0) } ?? (f.succeeded == 0 ? "-" : "unknown")])
        }
        var out = Table.render(columns, cells, width: width)
        var notes = ""
        for f in figures where !f.errors.isEmpty || f.cutByLength > 0 || f.invalidAnswers > 0 {
            var parts = f.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            if f.cutByLength > 0 { parts.append("answers cut by --max-tokens \(f.cutByLength)") }
            if f.invalidAnswers > 0 { parts.append("answers that failed --schema \(f.invalidAnswers)") }
            notes += "\(f.target): " + parts.joined(separator: ", ") + "\n"
        }
        for f in figures {
            if let goodput = f.goodputPerSecond { notes += "\(f.target): goodput \(NumberText.plain((goodput * 100).rounded() / 100)) req/s within --slo\n" }
        }
        // Through the router a failover is invisible in ok/n: say it.
        if settings.viaRouter {
            for f in figures where f.attemptsPerRequest > 1 || f.failoverRate > 0 {
                notes += "\(f.target): \(ProviderStats.pct(f.failoverRate)) of answers after a failover, "
                    + "\(NumberText.plain((f.attemptsPerRequest * 100).rounded() / 100)) attempts a request\n"
            }
        }
        // In an open loop a late send explains a slow first token: say how late.
        if case .open = settings.load.loop {
            for f in figures where (f.lateness.p99 ?? 0) >= 0.001 {
                notes += "\(f.target): sends fell behind the schedule by \(Self.ms(f.lateness.p50)) (p50), \(Self.ms(f.lateness.p99)) (p99); "
                    + "latencies count from the intended start\n"
            }
        }
        // Notes are prose: on a terminal they wrap at spaces, continued under themselves.
        for line in notes.split(separator: "\n") {
            let parts = width.map { Table.wrap(String(line), to: max(20, $0 - 2)) } ?? [String(line)]
            out += parts.enumerated().map { $0 == 0 ? $1 : "  " + $1 }.joined(separator: "\n") + "\n"
        }
        if histograms { out += "\n" + self.histograms() }
        return out
    }

    /// End-to-end latency of each target's answers, in buckets, bars scaled to the counts.
    func histograms() -> String {
        let values = accumulators.map { $0.e2e.counts() }
        guard let low = values.compactMap({ $0.first?.value }).min(), let high = values.compactMap({ $0.last?.value }).max() else { return "" }
        let buckets = 8
        let width = max((high - low) / Double(buckets), 1e-6)
        var out = ""
        for (f, list) in zip(figures, values) {
            var counts = [Int](repeating: 0, count: buckets)
            for (e2e, n) in list { counts[min(buckets - 1, Int(saturating: ((e2e - low) / width).rounded(.down)))] += n }
            guard f.succeeded > 0 else {
                out += "\(f.target) — no answers\n"
                continue
            }
            let top = max(1, counts.max() ?? 1)
            out += "\(f.target) — end-to-end latency of \(f.succeeded) answers\n"
            for (i, c) in counts.enumerated() {
                let from = Self.ms(low + Double(i) * width)
                let bar = String(repeating: "█", count: Int(saturating: (Double(c) / Double(top) * 40).rounded()))
                out += "  \(from.padding(to: 10)) \(bar) \(c)\n"
            }
        }
        return out
    }

    /// What the figures should not be read without.
    var warnings: [String] {
        figures.compactMap { f in
            f.e2e.count > 0 && f.e2e.count < 100 ? "\(f.target): p99 rests on \(f.e2e.count) answers (fewer than 100)" : nil
        }
    }

    /// The `--fail-if` checks that hold, as `check — target: value`.
    func failedChecks() -> [String] {
        settings.checks.flatMap { check in
            figures.compactMap { f -> String? in
                let (failed, value) = check.fails(f)
                guard failed else { return nil }
                // Each value in the unit its threshold was given in: times in ms, rates in %.
                let shown = value.map { v in
                    check.metric.contains("(") ? Self.ms(v)
                        : ["error_rate", "failover_rate"].contains(check.metric) ? ProviderStats.pct(v)
                        : NumberText.plain((v * 1e6).rounded() / 1e6)
                } ?? "no value"
                return "\(check.text) — \(f.target): \(shown)"
            }
        }
    }

    func json(startedAt: Double) -> JSONValue {
        func num(_ x: Double?) -> JSONValue { x.map { .number(($0 * 1e6).rounded() / 1e6) } ?? .null }
        func dist(_ d: Distribution) -> JSONValue {
            func ms(_ x: Double?) -> JSONValue { x.map { .number(($0 * 1e6).rounded() / 1e3) } ?? .null }
            return .object([("count", .number(Double(d.count))), ("p50", ms(d.p50)), ("p90", ms(d.p90)), ("p95", ms(d.p95)),
                            ("p99", ms(d.p99)), ("max", ms(d.max)), ("mean", ms(d.mean))])
        }
        let s = settings
        var load: [(String, JSONValue)] = []
        switch s.load.loop {
        case .closed(let c): load = [("loop", "closed"), ("concurrency", .number(Double(c)))]
        case .open(let rate, let arrival, let cap):
            load = [("loop", "open"), ("rate", .number(rate)), ("arrival", .string(arrival.rawValue)),
                    ("max_concurrency", cap.map { .number(Double($0)) } ?? .null)]
        }
        load += [("requests", s.load.requests.map { .number(Double($0)) } ?? .null), ("duration_s", num(s.load.duration)),
                 ("warmup", .number(Double(s.load.warmup)))]
        let settings: JSONValue = .object(load + [
            ("mode", .string(s.viaRouter ? "via-router" : "direct")), ("stream", .bool(s.stream)),
            ("prompt_tokens", .number(Double(s.workload.promptTokens))), ("max_tokens", .number(Double(s.workload.maxTokens))),
            ("shared_prefix", .bool(s.workload.sharedPrefix)), ("timeout_s", num(s.timeout)),
        ])
        return .object([
            ("schema", "llmr.bench/1"), ("llmr_version", .string(LLMRVersion.string)), ("seed", .string(String(s.workload.seed))),
            ("started_at", .string(Timestamp.iso(startedAt))), ("settings", settings),
            ("targets", .array(figures.map { f in
                .object([
                    ("target", .string(f.target)), ("requests", .number(Double(f.requests))), ("succeeded", .number(Double(f.succeeded))),
                    ("errors", .object(f.errors.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                    ("cut_by_max_tokens", .number(Double(f.cutByLength))), ("invalid_answers", .number(Double(f.invalidAnswers))), ("error_rate", num(f.errorRate)), ("window_s", num(f.window)),
                    ("requests_per_s", num(f.requestsPerSecond)), ("output_tokens_per_s", num(f.outputTokensPerSecond)),
                    ("goodput_per_s", num(f.goodputPerSecond)),
                    ("ttft_ms", dist(f.ttft)), ("e2e_ms", dist(f.e2e)), ("service_ms", dist(f.service)), ("tpot_ms", dist(f.tpot)),
                    ("itl_ms", dist(f.interChunk)), ("lateness_ms", dist(f.lateness)),
                    ("output_tokens_per_s_per_request", .object([("p50", num(f.perRequestTokensPerSecond.p50)), ("mean", num(f.perRequestTokensPerSecond.mean))])),
                    ("cost_usd", .object([("total", num(f.totalCost)), ("per_request", num(f.costPerRequest)),
                                          ("per_success", num(f.costPerSuccess)), ("per_million_output_tokens", num(f.costPerMillionOutput))])),
                    ("attempts_per_request", num(f.attemptsPerRequest)), ("failover_rate", num(f.failoverRate)),
                ])
            })),
            ("warnings", .array(warnings.map { .string($0) })),
        ])
    }

    static let csvHeader = "target,intended_start_ms,send_ms,ttft_ms,e2e_ms,output_tokens,outcome,cost_usd\n"

    /// Writes a request's row to stdout (from whichever task finished it).
    static let writeRow: @Sendable (BenchSample) -> Void = { sample in Output.stdout(csvRow(sample)) }

    /// One request's row, written when it finishes.
    static func csvRow(_ s: BenchSample) -> String {
        func ms(_ x: Double?) -> String { x.map { NumberText.plain(($0 * 1e6).rounded() / 1e3) } ?? "" }
        let target = s.target.contains(",") ? "\"\(s.target)\"" : s.target
        return [target, ms(s.intended), ms(s.sent), ms(s.ttft), ms(s.e2e), s.outputTokens.map(String.init) ?? "", "\(s.outcome)",
                s.costUSD.map { NumberText.decimal($0) } ?? ""].joined(separator: ",") + "\n"
    }
}

/// The live lanes on stderr while a run goes: done/total, ETA, errors, live p50 TTFT, spend.
final class BenchProgress: Sendable {
    let runs: [BenchTargetRun]
    let load: BenchLoad
    let report: Report
    let started = SystemClock().now()
    /// The terminal's width on stderr, where the lanes are drawn.
    let width: Int?

    init(runs: [BenchTargetRun], load: BenchLoad, report: Report, width: Int?) {
        self.runs = runs
        self.load = load
        self.report = report
        self.width = width
    }

    func run() async {
        var first = true
        while !Task.isCancelled {
            draw(moveUp: !first)
            first = false
            try? await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// One lane per target, in aligned columns, each cut to the terminal's width.
    private func draw(moveUp: Bool) {
        let elapsed = SystemClock().now() - started
        var lanes: [[String]] = []
        for r in runs {
            let p = r.progress.withLock { ($0.done, $0.errors, $0.spent, $0.figures.ttft.percentiles([0.5])[0], $0.finished) }
            let total = r.planned.map { "\($0)" } ?? "?"
            var eta = "-"
            if p.4 { eta = "done" }
            else if let planned = r.planned, p.0 > 0 { eta = "ETA " + DurationParser.format(elapsed / Double(p.0) * Double(max(0, planned - p.0))) }
            else if let d = load.duration { eta = "ETA " + DurationParser.format(max(0, d - elapsed)) }
            lanes.append([r.target.name, "\(p.0)/\(total)", eta, "errors \(p.1)", "p50 TTFT \(BenchOutput.ms(p.3))",
                          "$" + NumberText.sixDecimals(p.2)])
        }
        let lines = Self.lanes(lanes, width: width)
        var text = moveUp ? "\u{1B}[\(runs.count)A" : ""
        for line in lines { text += "\r\u{1B}[K" + report.faint(line) + "\n" }
        Output.stderr(text)
    }

    /// Lanes as aligned columns (counts right-aligned), each line at most `width` wide.
    static func lanes(_ cells: [[String]], width: Int?) -> [String] {
        guard let count = cells.first?.count else { return [] }
        var widths = (0..<count).map { c in cells.map { TerminalText.width($0[c]) }.max() ?? 0 }
        var cells = cells
        // The names give way first (elided in the middle), then the line is cut.
        if let width, widths.reduce(0, +) + 2 * (count - 1) >= width {
            let rest = widths.dropFirst().reduce(0, +) + 2 * (count - 1)
            widths[0] = max(8, min(widths[0], width - 1 - rest))
            for i in cells.indices { cells[i][0] = TerminalText.elide(cells[i][0], to: widths[0]) }
        }
        return cells.map { row in
            let line = row.enumerated().map { c, cell in
                c == 1 ? String(repeating: " ", count: widths[c] - TerminalText.width(cell)) + cell : cell.padding(to: widths[c])
            }.joined(separator: "  ")
            var trimmed = line
            while trimmed.hasSuffix(" ") { trimmed.removeLast() }
            // One line per lane, always: a wrapped lane would break the redraw.
            return width.map { TerminalText.elide(trimmed, to: max(1, $0 - 1)) } ?? trimmed
        }
    }

    /// Removes the lanes before the result.
    func clear() {
        Output.stderr("\u{1B}[\(runs.count)A" + String(repeating: "\r\u{1B}[K\n", count: runs.count) + "\u{1B}[\(runs.count)A")
    }
}
