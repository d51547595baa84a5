import RouterCore
import Synchronization

/// What the gateway has done, in Prometheus's text format (`GET /metrics`):
/// requests by endpoint and status, attempts by route, provider, model and
/// outcome, latency and time-to-first-token histograms, cost, requests in
/// flight, and the shared breakers and budgets as the state store has them.
/// Names only: no key, prompt or answer ever reaches it.
public final class GatewayMetrics: Sendable {
    struct Histogram {
        static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        var counts = [Int](repeating: 0, count: bounds.count)
        var sum = 0.0
        var count = 0

        mutating func add(_ v: Double) {
            guard v.isFinite, v >= 0 else { return }
            for (i, b) in Self.bounds.enumerated() where v <= b { counts[i] += 1 }
            sum += v
            count += 1
        }
    }

    struct State {
        var requests: [[String]: Int] = [:]
        var attempts: [[String]: Int] = [:]
        var cost: [[String]: Double] = [:]
        var duration: [[String]: Histogram] = [:]
        var ttft: [[String]: Histogram] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A request was answered with `status`.
    public func answered(endpoint: String, status: Int) {
        state.withLock { $0.requests[[endpoint, String(status)], default: 0] += 1 }
    }

    /// A routed request ended after `seconds`.
    public func routed(_ r: RouteResult, seconds: Double) {
        let route = r.route ?? "-"
        state.withLock { s in
            s.duration[[route], default: Histogram()].add(seconds)
            for a in r.attempts {
                s.attempts[[route, a.provider, a.model, "\(a.outcome)"], default: 0] += 1
                if let c = a.costUSD, c.isFinite { s.cost[[route, a.provider, a.model], default: 0] += c }
                if let t = a.ttftMs { s.ttft[[a.provider, a.model], default: Histogram()].add(Double(t) / 1000) }
            }
        }
    }

    static func escape(_ v: String) -> String {
        v.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }

    static func labels(_ names: [String], _ values: [String], extra: String? = nil) -> String {
        var parts = zip(names, values).map { "\($0)=\"\(escape($1))\"" }
        if let extra { parts.append(extra) }
        return parts.isEmpty ? "" : "{" + parts.joined(separator: ",") + "}"
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : NumberText.decimal(v, significant: 15)
    }

    /// The whole exposition, with the shared state read now.
    public func render(context: RoutingContext, inFlight: Int, now: Double) -> String {
        let s = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        func sorted<V>(_ d: [[String]: V]) -> [([String], V)] { d.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ($0.key, $0.value) } }

        family("llmr_serve_requests_total", "counter", "Requests answered, by endpoint and HTTP status.")
        for (k, v) in sorted(s.requests) { out += "llmr_serve_requests_total\(Self.labels(["endpoint", "status"], k)) \(v)\n" }
        family("llmr_attempts_total", "counter", "Attempts sent to providers, by route, provider, model and outcome.")
        for (k, v) in sorted(s.attempts) { out += "llmr_attempts_total\(Self.labels(["route", "provider", "model", "outcome"], k)) \(v)\n" }
        family("llmr_cost_usd_total", "counter", "What the attempts cost, in USD, by route, provider and model.")
        for (k, v) in sorted(s.cost) { out += "llmr_cost_usd_total\(Self.labels(["route", "provider", "model"], k)) \(Self.number(v))\n" }
        func histogram(_ name: String, _ names: [String], _ h: [[String]: Histogram]) {
            for (k, v) in sorted(h) {
                for (i, b) in Histogram.bounds.enumerated() {
                    out += "\(name)_bucket\(Self.labels(names, k, extra: "le=\"\(Self.number(b))\"")) \(v.counts[i])\n"
                }
                out += "\(name)_bucket\(Self.labels(names, k, extra: "le=\"+Inf\"")) \(v.count)\n"
                out += "\(name)_sum\(Self.labels(names, k)) \(Self.number(v.sum))\n\(name)_count\(Self.labels(names, k)) \(v.count)\n"
            }
        }
        family("llmr_request_duration_seconds", "histogram", "Routed requests from receipt to the answer's end, by route.")
        histogram("llmr_request_duration_seconds", ["route"], s.duration)
        family("llmr_ttft_seconds", "histogram", "Time to the first token of each attempt that had one, by provider and model.")
        histogram("llmr_ttft_seconds", ["provider", "model"], s.ttft)
        family("llmr_serve_in_flight", "gauge", "Requests being answered now.")
        out += "llmr_serve_in_flight \(inFlight)\n"
        if let store = context.store {
            let providers = context.config.providers.map(\.name)
            if let health = try? store.snapshot(providers: providers, now: now) {
                family("llmr_breaker_open", "gauge", "1 when a breaker (a provider's, or provider/model's) is open, shared by every llmr process.")
                for (key, b) in health.breakers.sorted(by: { $0.key < $1.key }) {
                    out += "llmr_breaker_open\(Self.labels(["key"], [key])) \(b.state == .open ? 1 : 0)\n"
                }
            }
            let budgets = context.config.budgets
            if !budgets.isEmpty, let usage = try? store.usage(of: budgets, now: now) {
                family("llmr_budget_spent_usd", "gauge", "Spent within each budget's window, in USD.")
                for u in usage { out += "llmr_budget_spent_usd\(Self.labels(["budget"], [u.budget.name])) \(Self.number(u.spent))\n" }
                family("llmr_budget_limit_usd", "gauge", "Each budget's limit, in USD.")
                for u in usage { out += "llmr_budget_limit_usd\(Self.labels(["budget"], [u.budget.name])) \(Self.number(u.budget.usd))\n" }
            }
        }
        return out
    }
}
