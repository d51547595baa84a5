import RouterCore

/// The response cache as a use case: which mode a request runs in, the
/// lookup before routing, and keeping a whole answer after.
public enum Caching {
    /// `--no-cache`, else `--cache MODE`, else `LLMR_CACHE`, else the config's `cache.mode`.
    public static func mode(flag: String?, noCache: Bool, environment: [String: String], config: CacheConfig) throws(Problem) -> CacheMode {
        if noCache { return .off }
        let choices = CacheMode.allCases.map(\.rawValue).joined(separator: ", ")
        if let flag {
            guard let m = CacheMode(rawValue: flag) else { throw .usage("--cache takes \(choices), not '\(flag)'") }
            return m
        }
        if let env = environment["LLMR_CACHE"], !env.isEmpty {
            guard let m = CacheMode(rawValue: env) else { throw .usage("LLMR_CACHE takes \(choices), not '\(env)'") }
            return m
        }
        return config.mode
    }

    /// What `-v` says of a hit: `cache hit (stored 3h ago from openai/gpt-5); nothing sent`.
    public static func hitNote(_ hit: CachedAnswer, now: Double) -> String {
        "cache hit (stored \(BudgetText.span(max(0, now - hit.storedAt))) ago from \(hit.provider)/\(hit.modelID)); nothing sent"
    }

    /// What a request is kept under: its route (or model) and everything the answer depends on.
    public static func key(_ plan: Plan, request: ChatRequest, seed: UInt64?) -> CacheKey {
        let selection = plan.route.map { "route:\($0)" } ?? "model:\(plan.candidates.first?.model.name ?? "?")"
        return CacheKey(selection: selection, request: request, seed: seed)
    }
}

extension RoutingContext {
    /// The kept answer for `key`, or why the cache could not be read (then a miss, said as a warning).
    public func cached(_ key: CacheKey) -> (CachedAnswer?, warning: String?) {
        guard let state else { return (nil, nil) }
        do {
            return (try state.get().cached(key, now: clock.wallTime(), ttl: config.cache.ttl), nil)
        } catch {
            return (nil, "the response cache cannot be read (\(error.reason)); treated as a miss")
        }
    }

    /// Records a hit in the attempt log (no attempt: an answer for the hit rate of `providers stats`).
    public func recordHit(_ hit: CachedAnswer, route: String?) -> StateFailure? {
        guard let state else { return nil }
        let a = AttemptRecord(provider: hit.provider, model: hit.model, modelID: hit.modelID, tier: .primary, outcome: .cacheHit, latencyMs: 0)
        do {
            try state.get().record(RouteResult(route: route, attempts: [a]), requestID: RequestID.make(), at: clock.wallTime(), breaker: nil, content: nil)
            return nil
        } catch {
            return error
        }
    }

    /// Keeps `result`'s answer under `key` when it is whole; a warning when it could not be kept.
    public func keep(_ result: RouteResult, key: CacheKey) -> String? {
        guard let answer = CachedAnswer.storable(result, at: clock.wallTime()), let state else { return nil }
        do {
            try state.get().keep(key, answer)
            return nil
        } catch {
            return "the answer was not kept in the response cache (\(error.reason))"
        }
    }
}
