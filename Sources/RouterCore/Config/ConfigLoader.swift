/// Reads YAML (or JSON) text into a validated `Config`.
public enum ConfigLoader {
    static let topKeys = ["providers", "models", "routes", "tasks", "breaker", "health", "alerts", "log", "chat", "budgets", "cache", "serve", "state"]
    static let budgetKeys = ["usd", "per", "provider", "model", "route", "tag"]
    static let providerKeys = ["api", "base_url", "key_env", "key_cmd", "key_cmd_timeout", "timeout", "connect_timeout",
                               "first_token_timeout", "idle_timeout", "headers", "max_tokens_field", "stream", "continuation", "limits",
                               "structured_output"]
    static let modelKeys = ["provider", "id", "input", "output", "cached_input", "context", "limits"]
    static let limitKeys = ["requests", "tokens", "per"]
    static let routeKeys = ["strategy", "retries", "max_attempts", "max_retry_wait", "targets", "fallback", "hedge", "explore"]
    static let hedgeKeys = ["after", "max_share"]
    static let targetKeys = ["model", "weight"]
    static let breakerKeys = ["failures", "window", "open_for"]

    /// Parses and validates a configuration. `source` names the file in errors.
    public static func load(yaml: String, source: String) throws(ConfigError) -> Config {
        let parsed: YAMLNode?
        do {
            // Scalars are read as text here and typed by the loader.
            parsed = try YAMLDocument.parse(yaml)
        } catch {
            throw yamlError(error, source: source)
        }
        guard let root = parsed else {
            throw ConfigError(file: source, message: "the file is empty; it needs at least a 'providers' and a 'models' section")
        }
        let top = ConfigNode(node: root, path: "", file: source)
        var config = Config(source: source, providers: [], models: [], routes: [])
        var sections: [String: ConfigNode] = [:]
        for (key, value) in try top.entries(allowed: topKeys) { sections[key] = value }

        if let node = sections["providers"] {
            for (name, value) in try node.entries() {
                config.providers.append(try provider(name, value))
            }
        }
        let providerNames = config.providers.map(\.name)
        if let node = sections["models"] {
            for (name, value) in try node.entries() {
                let m = try model(name, value)
                guard providerNames.contains(m.provider) else {
                    let at = (try? value.entries().first { $0.0 == "provider" }?.1) ?? value
                    throw at.error("unknown provider '\(m.provider)'\(Suggest.hint(m.provider, in: providerNames)); the providers section defines: \(providerNames.joined(separator: ", "))")
                }
                config.models.append(m)
            }
        }
        if let node = sections["routes"] {
            for (name, value) in try node.entries() {
                let r = try route(name, value, config: &config)
                config.routes.append(r)
            }
        }
        if let node = sections["tasks"] {
            let routeNames = config.routes.map(\.name)
            for (task, value) in try node.entries() {
                let target = try value.nonEmptyString()
                guard routeNames.contains(target) else {
                    throw value.error("unknown route '\(target)'\(Suggest.hint(target, in: routeNames))")
                }
                config.tasks[task] = target
            }
        }
        if let node = sections["budgets"] {
            for (name, value) in try node.entries() { config.budgets.append(try budget(name, value, config: &config)) }
        }
        if let node = sections["cache"] {
            for (key, value) in try node.entries(allowed: ["mode", "ttl", "shared"]) {
                if key == "mode" {
                    config.cache.mode = CacheMode(rawValue: try value.oneOf(CacheMode.allCases.map(\.rawValue))) ?? .off
                } else if key == "shared" {
                    config.cache.shared = try value.bool()
                } else {
                    config.cache.ttl = try value.duration(ConfigLimits.budgetWindow)
                }
            }
        }
        if let node = sections["serve"] {
            for (key, value) in try node.entries(allowed: ["listen", "keys_env", "max_concurrency", "max_body", "idle_timeout"]) {
                switch key {
                case "listen": config.serve.listen = try value.nonEmptyString()
                case "keys_env":
                    // One variable's name, or a list of them.
                    if let name = try? value.nonEmptyString() {
                        config.serve.keysEnv = [name]
                    } else {
                        config.serve.keysEnv = []
                        for n in try value.items() { config.serve.keysEnv.append(try n.nonEmptyString()) }
                    }
                case "max_concurrency": config.serve.maxConcurrency = try value.int(1...100_000)
                case "idle_timeout": config.serve.idleTimeout = try value.duration(0.1...86_400)
                default: config.serve.maxBody = try value.byteSize(1024...(1 << 30))
                }
            }
        }
        if let node = sections["state"] {
            for (key, value) in try node.entries(allowed: ["shared", "namespace", "timeout", "budgets_offline"]) {
                switch key {
                case "shared":
                    let url = try value.nonEmptyString()
                    guard url.hasPrefix("redis://") || url.hasPrefix("rediss://") else {
                        throw value.error("state.shared takes a redis:// address, such as redis://127.0.0.1:6379/0")
                    }
                    config.state.shared = url
                case "namespace": config.state.namespace = try value.nonEmptyString()
                case "timeout": config.state.timeout = try value.duration(0.001...60)
                default:
                    config.state.budgetsOffline = StateConfig.BudgetsOffline(rawValue: try value.oneOf(StateConfig.BudgetsOffline.allCases.map(\.rawValue))) ?? .refuse
                }
            }
        }
        if let node = sections["breaker"] {
            for (key, value) in try node.entries(allowed: breakerKeys) {
                switch key {
                case "failures": config.breaker.failures = try value.int(ConfigLimits.breakerFailures)
                case "window": config.breaker.window = try value.duration(ConfigLimits.breakerWindow)
                default: config.breaker.openFor = try value.duration(ConfigLimits.breakerOpenFor)
                }
            }
        }
        if let node = sections["health"] {
            for (_, value) in try node.entries(allowed: ["interval"]) { config.healthInterval = try value.duration(ConfigLimits.healthInterval) }
        }
        if let node = sections["chat"] {
            for (key, value) in try node.entries(allowed: ["history", "history_size", "trim"]) {
                switch key {
                case "history": config.chat.history = try value.bool()
                case "history_size": config.chat.historySize = try value.int(ConfigLimits.historySize)
                default: config.chat.trimOldest = try value.oneOf(["oldest", "none"]) == "oldest"
                }
            }
        }
        if let node = sections["log"] {
            for (_, value) in try node.entries(allowed: ["content"]) { config.logContent = try value.bool() }
        }
        if let node = sections["alerts"] {
            let keys = ["p50_over_baseline", "p99", "error_rate", "cost_over_baseline", "fallback_rate"]
            for (key, value) in try node.entries(allowed: keys) {
                switch key {
                case "p50_over_baseline": config.alerts.p50OverBaseline = try value.duration(ConfigLimits.wait)
                case "p99": config.alerts.p99 = try value.duration(ConfigLimits.wait)
                case "error_rate": config.alerts.errorRate = try percent(value)
                case "fallback_rate": config.alerts.fallbackRate = try percent(value)
                default:
                    let text = try value.string().trimmingWhitespace()
                    guard let x = Double(text.hasSuffix("x") ? String(text.dropLast()) : text), ConfigLimits.factor.contains(x) else {
                        throw value.error("expected a factor from \(ConfigLimits.factor.lowerBound)x to \(NumberText.plain(ConfigLimits.factor.upperBound))x such as 2x, got '\(text)'")
                    }
                    config.alerts.costOverBaseline = x
                }
            }
        }
        return config
    }

    /// One `budgets:` entry: `usd`, `per`, and at most one scope (provider, model, route or tag) naming something that exists.
    static func budget(_ name: String, _ node: ConfigNode, config: inout Config) throws(ConfigError) -> BudgetConfig {
        var usd: Double?
        var per: Double?
        var scope = BudgetConfig.Scope.all
        var scopeKey: String?
        for (key, value) in try node.entries(allowed: budgetKeys) {
            switch key {
            case "usd": usd = try value.double(ConfigLimits.budgetUSD)
            case "per": per = try value.duration(ConfigLimits.budgetWindow)
            default:
                if let earlier = scopeKey {
                    throw value.error("a budget has one scope; '\(name)' already counts by \(earlier)")
                }
                scopeKey = key
                let target = try value.nonEmptyString()
                func known(_ names: [String], _ what: String) throws(ConfigError) {
                    guard names.contains(target) else {
                        throw value.error("unknown \(what) '\(target)'\(Suggest.hint(target, in: names)); known: \(names.joined(separator: ", "))")
                    }
                }
                switch key {
                case "provider":
                    try known(config.providers.map(\.name), "provider")
                    scope = .provider(target)
                case "model":
                    if config.source != DefaultConfig.source { _ = config.adoptFromBase(model: target) }
                    try known(config.models.map(\.name), "model")
                    scope = .model(target)
                case "route":
                    try known(config.routes.map(\.name), "route")
                    scope = .route(target)
                default: scope = .tag(target)
                }
            }
        }
        guard let usd else { throw node.error("budget '\(name)' needs 'usd', the most it may spend (such as usd: 5.00)") }
        guard let per else { throw node.error("budget '\(name)' needs 'per', its rolling window (such as per: 24h)") }
        return BudgetConfig(name: name, usd: usd, per: per, scope: scope)
    }

    /// `limits: {requests: N, tokens: N, per: 1m}`: at least one count, each at least 1, and the window.
    static func limits(_ node: ConfigNode) throws(ConfigError) -> RateLimit {
        var requests: Int?, tokens: Int?, per: Double?
        for (key, value) in try node.entries(allowed: limitKeys) {
            switch key {
            case "requests": requests = try value.int(ConfigLimits.rateCount)
            case "tokens": tokens = try value.int(ConfigLimits.rateCount)
            default: per = try value.duration(ConfigLimits.budgetWindow)
            }
        }
        guard requests != nil || tokens != nil else { throw node.error("limits need 'requests' or 'tokens' (or both), such as {requests: 500, per: 1m}") }
        guard let per else { throw node.error("limits need 'per', their sliding window (such as per: 1m)") }
        return RateLimit(requests: requests, tokens: tokens, per: per)
    }

    static func provider(_ name: String, _ node: ConfigNode) throws(ConfigError) -> ProviderConfig {
        var api: WireAPI?
        var baseURL: String?
        var p = ProviderConfig(name: name, api: .openai, baseURL: "")
        for (key, value) in try node.entries(allowed: providerKeys) {
            switch key {
            case "api": api = WireAPI(rawValue: try value.oneOf(WireAPI.allCases.map(\.rawValue)))
            case "base_url":
                let url = try value.nonEmptyString()
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw value.error("expected a URL starting with http:// or https://, got '\(url)'")
                }
                baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            case "key_env": p.keyEnv = try value.nonEmptyString()
            case "key_cmd": p.keyCmd = try value.nonEmptyString()
            case "key_cmd_timeout": p.keyCmdTimeout = try value.duration(ConfigLimits.timeout)
            case "timeout": p.timeouts.total = try value.duration(ConfigLimits.timeout)
            case "connect_timeout": p.timeouts.connect = try value.duration(ConfigLimits.timeout)
            case "first_token_timeout": p.timeouts.firstToken = try value.duration(ConfigLimits.timeout)
            case "idle_timeout": p.timeouts.idle = try value.duration(ConfigLimits.timeout)
            case "headers":
                for (h, v) in try value.entries() {
                    // A line break in a header would let the config inject headers of its own.
                    guard h.utf8.allSatisfy(HTTPText.isTokenByte) else {
                        throw v.error("a header name may hold only letters, digits and !#$%&'*+-.^_`|~")
                    }
                    let text = try v.string()
                    guard !HTTPText.hasControlCharacters(text) else {
                        throw v.error("a header value may not hold line breaks or other control characters")
                    }
                    p.headers[h] = text
                }
            case "max_tokens_field": p.maxTokensField = try value.oneOf(["max_tokens", "max_completion_tokens"])
            case "continuation": p.continuation = Continuation(rawValue: try value.oneOf(Continuation.allCases.map(\.rawValue))) ?? .none
            case "limits": p.limits = try limits(value)
            case "structured_output":
                p.structuredOutput = StructuredOutput(rawValue: try value.oneOf(StructuredOutput.allCases.map(\.rawValue))) ?? .native
            default: p.stream = try value.bool()
            }
        }
        guard let api else { throw node.error("missing 'api' (one of \(WireAPI.allCases.map(\.rawValue).joined(separator: ", ")))") }
        guard let baseURL else { throw node.error("missing 'base_url'") }
        if p.structuredOutput == .tool, api != .anthropic {
            throw node.error("structured_output: tool is for Anthropic's API; use native or prompt for \(api.rawValue)")
        }
        p.api = api
        p.baseURL = baseURL
        return p
    }

    static func model(_ name: String, _ node: ConfigNode) throws(ConfigError) -> ModelEntry {
        var m = ModelEntry(name: name, provider: "", id: name)
        var provider: String?
        for (key, value) in try node.entries(allowed: modelKeys) {
            switch key {
            case "provider": provider = try value.nonEmptyString()
            case "id": m.id = try value.nonEmptyString()
            case "input": m.inputPrice = try value.double(ConfigLimits.price)
            case "output": m.outputPrice = try value.double(ConfigLimits.price)
            case "cached_input": m.cachedInputPrice = try value.double(ConfigLimits.price)
            case "limits": m.limits = try limits(value)
            default: m.context = try value.int(ConfigLimits.context)
            }
        }
        guard let provider else { throw node.error("missing 'provider'") }
        m.provider = provider
        return m
    }

    static func route(_ name: String, _ node: ConfigNode, config: inout Config) throws(ConfigError) -> RouteConfig {
        var r = RouteConfig(name: name, targets: [])
        var sawTargets = false
        for (key, value) in try node.entries(allowed: routeKeys) {
            switch key {
            case "strategy": r.strategy = Strategy(rawValue: try value.oneOf(Strategy.allCases.map(\.rawValue))) ?? .fallback
            case "retries": r.retries = try value.int(ConfigLimits.retries)
            case "max_attempts": r.maxAttempts = try value.int(ConfigLimits.maxAttempts)
            case "max_retry_wait": r.maxRetryWait = try value.duration(ConfigLimits.wait)
            case "explore": r.explore = try percent(value)
            case "hedge":
                r.hedge = try hedge(value)
            case "targets":
                sawTargets = true
                r.targets = try value.items().map { (item) throws(ConfigError) in try target(item, config: &config) }
            default:
                r.fallback = try value.items().map { (item) throws(ConfigError) in try target(item, config: &config) }
            }
        }
        guard sawTargets, !r.targets.isEmpty else { throw node.error("a route needs at least one entry under 'targets'") }
        if r.targets.allSatisfy({ $0.weight == 0 }) {
            throw node.error("every target under 'targets' has weight 0, so none could ever be picked; give at least one a weight above 0")
        }
        return r
    }

    static func hedge(_ node: ConfigNode) throws(ConfigError) -> HedgeConfig {
        var h = HedgeConfig(after: .p95)
        var sawAfter = false
        for (key, value) in try node.entries(allowed: hedgeKeys) {
            if key == "after" {
                sawAfter = true
                if (try? value.string()) == "p95" { h.after = .p95 } else {
                    guard case .scalar(let s, _) = value.node.content, let d = DurationParser.seconds(s), ConfigLimits.hedgeAfter.contains(d) else {
                        throw value.error("expected a duration from 0s to \(DurationParser.exact(ConfigLimits.hedgeAfter.upperBound)) such as 200ms, or p95")
                    }
                    h.after = .fixed(d)
                }
            } else {
                h.maxShare = try percent(value)
            }
        }
        guard sawAfter else { throw node.error("missing 'after' (a duration such as 200ms, or p95)") }
        return h
    }

    /// `10%` or `0.1`.
    static func percent(_ node: ConfigNode) throws(ConfigError) -> Double {
        let text = try node.string().trimmingWhitespace()
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let v = value, v >= 0, v <= 1 else { throw node.error("expected a share such as 10% or 0.1, got '\(text)'") }
        return v
    }

    static func target(_ node: ConfigNode, config: inout Config) throws(ConfigError) -> TargetRef {
        var t = TargetRef(model: "")
        var at = node
        if case .scalar = node.node.content {
            t.model = try node.nonEmptyString()
        } else {
            for (key, value) in try node.entries(allowed: targetKeys) {
                if key == "model" { t.model = try value.nonEmptyString(); at = value } else { t.weight = try value.double(ConfigLimits.weight) }
            }
            guard !t.model.isEmpty else { throw node.error("missing 'model'") }
        }
        // A model the file does not define comes from the embedded catalog, with its provider when the file has none.
        if config.model(named: t.model) == nil, config.source != DefaultConfig.source {
            _ = config.adoptFromBase(model: t.model)
        }
        if config.model(named: t.model) == nil {
            let parts = t.model.split(separator: "/", maxSplits: 1).map(String.init)
            let names = config.models.map(\.name)
            guard parts.count == 2, config.provider(named: parts[0]) != nil, !parts[1].isEmpty else {
                throw at.error("unknown model '\(t.model)'\(Suggest.hint(t.model, in: names)); name a model from 'models' or write provider/model-id")
            }
        }
        return t
    }

    static func yamlError(_ error: YAMLError, source: String) -> ConfigError {
        switch error.kind {
        case .reader: return ConfigError(file: source, message: "not readable as YAML: \(error.problem)")
        case .syntax: return ConfigError(file: source, line: error.line, column: error.column, message: "not valid YAML: \(error.problem)")
        case .duplicateKeys: return ConfigError(file: source, line: error.line, column: error.column, message: error.problem)
        }
    }
}
