import Engine
import RouterCore

/// `llmr providers stats`: figures per provider and model, marked against their alert thresholds.
struct ProviderStats {
    let config: Config
    let log: any StateBackend
    let color: Bool
    let terminal: Bool
    /// The terminal's width; nil into a pipe.
    var width: Int? = nil

    struct Line {
        var figures: StatsFigures
        var baseline: StatsFigures?
        var alerts: StatsAlerts
        /// The breakers and cooldowns of the model and its provider now ("closed", "model open 4m").
        var health = "closed"
    }

    /// The period ending now, and the one before it as the baseline.
    func lines(since: Double, route: String?, bench: Bool = false, now: Double) throws(StateFailure) -> [Line] {
        let current = try log.stats(from: now - since, to: now, route: route, bench: bench)
        let previous = try log.stats(from: now - 2 * since, to: now - since, route: route, bench: bench)
        let health = try log.snapshot(providers: Array(Set(current.map(\.provider))), now: now)
        let breaker = Breaker(config: config.breaker)
        return current.map { f in
            let base = previous.first { $0.provider == f.provider && $0.model == f.model }
            // Attempts name the catalog model, or provider/model-id for an inline one; breakers go by model id.
            let id = config.model(named: f.model)?.id ?? String(f.model.dropFirst(f.provider.count + 1))
            return Line(figures: f, baseline: base, alerts: StatsAccumulator.alerts(f, baseline: base, config: config.alerts),
                        health: HealthLabel.combined(provider: f.provider, modelID: id, breaker, health, now: now))
        }
    }

    static func ms(_ x: Int?) -> String { x.map { "\($0) ms" } ?? "-" }
    static func pct(_ x: Double) -> String {
        let tenths = (x * 1000).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(saturating: tenths))%" : "\(tenths)%"
    }
    static func usd(_ x: Double) -> String { "$" + NumberText.sixDecimals(x) }
    /// A cost, or "unknown" for a model with no price (as `--json` says null and chat "cost unknown").
    static func usd(_ x: Double, known: Bool) -> String { known ? usd(x) : "unknown" }

    func mark(_ text: String, _ alert: Bool) -> String {
        guard alert else { return text }
        return color ? "\u{1B}[31m\(text) !\u{1B}[0m" : "\(text) !"
    }

    func table(_ lines: [Line], since: String) -> String {
        let columns = [
            Table.Column("provider", elide: 12), Table.Column("model", elide: 14), Table.Column("attempts", short: "n"),
            Table.Column("p50"), Table.Column("p99", drop: 3), Table.Column("ttft p50", short: "ttft", drop: 4),
            Table.Column("errors", short: "err"), Table.Column("cost/req", short: "$/req"), Table.Column("total", drop: 2),
            Table.Column("fallback", short: "fb", drop: 1), Table.Column("hedge", drop: 5), Table.Column("cached", drop: 6),
            Table.Column("breaker", wraps: true),
        ]
        var cells: [[String]] = []
        for l in lines {
            let f = l.figures
            cells.append([f.provider, f.model, "\(f.requests)", mark(Self.ms(f.p50LatencyMs), l.alerts.p50),
                          mark(Self.ms(f.p99LatencyMs), l.alerts.p99), Self.ms(f.p50TTFTMs), mark(Self.pct(f.errorRate), l.alerts.errorRate),
                          mark(Self.usd(f.costPerRequest, known: f.costKnown), l.alerts.cost), Self.usd(f.totalCost, known: f.costKnown),
                          mark(Self.pct(f.fallbackRate), l.alerts.fallbackRate), Self.pct(f.hedgeRate), f.cacheHits == 0 ? "-" : Self.pct(f.cacheHitRate),
                          l.health == "closed" || !color ? l.health : "\u{1B}[31m\(l.health)\u{1B}[0m"])
        }
        let head = "attempts over the last \(since); ! marks a figure past its alert threshold (baseline: the \(since) before)"
        var out = (width.map { Table.wrap(head, to: $0) } ?? [head]).joined(separator: "\n") + "\n"
        out += lines.isEmpty ? "no attempts in that period\n" : Table.render(columns, cells, width: width)
        if terminal, !lines.isEmpty { out += "\n" + histograms(lines) }
        return out
    }

    /// Latency buckets per provider, drawn with block characters.
    func histograms(_ lines: [Line]) -> String {
        let edges = [100, 250, 500, 1000, 2500, 5000, 10000]
        let labels = ["<100ms", "<250ms", "<500ms", "<1s", "<2.5s", "<5s", "<10s", "10s+"]
        let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        var byProvider: [String: [Int]] = [:]
        for l in lines { byProvider[l.figures.provider, default: []] += l.figures.latencies }
        var out = "latency        " + labels.map { $0.padding(to: 7) }.joined(separator: " ") + "\n"
        for provider in byProvider.keys.sorted() {
            var counts = [Int](repeating: 0, count: edges.count + 1)
            for v in byProvider[provider] ?? [] { counts[edges.firstIndex { v < $0 } ?? edges.count] += 1 }
            let top = max(1, counts.max() ?? 1)
            let bars = counts.map { c -> String in
                let cell = c == 0 ? " " : String(blocks[min(blocks.count - 1, (c * blocks.count - 1) / top)])
                return cell.padding(to: 7)
            }
            out += TerminalText.elide(provider, to: 14).padding(to: 14) + " " + bars.joined(separator: " ") + "\n"
        }
        return out
    }

    /// The names of the figures past their thresholds, as JSON and CSV give them.
    static func alertNames(_ a: StatsAlerts) -> [String] {
        [(a.p50, "p50"), (a.p99, "p99"), (a.errorRate, "error_rate"), (a.cost, "cost_per_request"), (a.fallbackRate, "fallback_rate")]
            .filter(\.0).map(\.1)
    }

    func json(_ lines: [Line], since: Double, route: String?) -> JSONValue {
        func num(_ x: Int?) -> JSONValue { x.map { .number(Double($0)) } ?? .null }
        func round(_ x: Double) -> JSONValue { .number((x * 1e9).rounded() / 1e9) }
        return .object([
            ("schema", "llmr.providers.stats/1"), ("since_s", .number(since)), ("route", route.map { .string($0) } ?? .null),
            ("groups", .array(lines.map { l in
                let f = l.figures
                return .object([
                    ("provider", .string(f.provider)), ("model", .string(f.model)), ("requests", .number(Double(f.requests))),
                    ("p50_latency_ms", num(f.p50LatencyMs)), ("p99_latency_ms", num(f.p99LatencyMs)), ("p50_ttft_ms", num(f.p50TTFTMs)),
                    ("error_rate", round(f.errorRate)),
                    ("cost_per_request_usd", f.costKnown ? round(f.costPerRequest) : .null),
                    ("total_cost_usd", f.costKnown ? round(f.totalCost) : .null), ("fallback_rate", round(f.fallbackRate)), ("hedge_rate", round(f.hedgeRate)),
                    ("cache_hits", .number(Double(f.cacheHits))), ("cache_hit_rate", round(f.cacheHitRate)),
                    ("baseline_p50_latency_ms", num(l.baseline?.p50LatencyMs)),
                    ("baseline_cost_per_request_usd", l.baseline.flatMap { $0.costKnown ? round($0.costPerRequest) : nil } ?? .null),
                    ("alerts", .array(Self.alertNames(l.alerts).map { .string($0) })), ("breaker", .string(l.health)),
                ])
            })),
        ])
    }

    func csv(_ lines: [Line]) -> String {
        var out = "provider,model,requests,p50_latency_ms,p99_latency_ms,p50_ttft_ms,error_rate,cost_per_request_usd,total_cost_usd,fallback_rate,hedge_rate,cache_hit_rate,alerts,breaker\n"
        func field(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingAll("\"", with: "\"\"") + "\"" : s }
        func decimal(_ x: Double, _ known: Bool = true) -> String { known ? NumberText.decimal(x, significant: 9) : "" }
        for l in lines {
            let f = l.figures
            let values: [String] = [
                field(f.provider), field(f.model), "\(f.requests)", f.p50LatencyMs.map(String.init) ?? "", f.p99LatencyMs.map(String.init) ?? "",
                f.p50TTFTMs.map(String.init) ?? "", decimal(f.errorRate), decimal(f.costPerRequest, f.costKnown), decimal(f.totalCost, f.costKnown),
                decimal(f.fallbackRate), decimal(f.hedgeRate), decimal(f.cacheHitRate), Self.alertNames(l.alerts).joined(separator: " "), field(l.health),
            ]
            out += values.joined(separator: ",") + "\n"
        }
        return out
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
