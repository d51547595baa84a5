import Testing
@testable import RouterCore

@Suite struct ConfigLoaderTests {
    func load(_ yaml: String) throws(ConfigError) -> Config {
        try ConfigLoader.load(yaml: yaml, source: "test.yaml")
    }

    func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try load(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func embeddedDefaultLoads() throws {
        let c = try ConfigLoader.load(yaml: DefaultConfig.yaml, source: DefaultConfig.source)
        #expect(c.providers.map(\.name) == ["openai", "anthropic", "gemini", "deepseek", "qwen", "ollama",
                                            "groq", "together", "mistral", "openrouter", "xai", "vllm", "llamacpp"])
        #expect(c.providers.filter { $0.api == .openai }.count == 11)
        #expect(c.provider(named: "vllm")?.continuation == .continueFinalMessage)
        #expect(c.model(named: "deepseek-v4")?.id == "deepseek-chat")
        #expect(c.model(named: "gpt-5")?.inputPrice == 1.25)
        #expect(c.route(named: "default")?.strategy == .weighted)
        #expect(c.route(named: "default")?.fallback.map(\.model) == ["gemini-2.5-pro"])
        #expect(c.tasks["reasoning"] == "reasoning")
        #expect(c.provider(named: "ollama")?.needsNoKey == true)
        #expect(c.breaker == BreakerConfig(failures: 5, window: 60, openFor: 300))
    }

    @Test func contractExampleLoads() throws {
        let c = try load("""
        providers:
          deepseek:
            api: openai
            base_url: https://api.deepseek.com/v1
            key_env: DEEPSEEK_API_KEY
            timeout: 30s
            connect_timeout: 5s
            first_token_timeout: 15s
            idle_timeout: 20s
            headers: {X-Team: search}
        models:
          deepseek-v4: {provider: deepseek, id: deepseek-chat, input: 0.15, output: 0.60, context: 128000}
        routes:
          default:
            strategy: weighted
            retries: 2
            targets:
              - {model: deepseek-v4, weight: 0.6}
              - deepseek/other-model
        breaker: {failures: 5, window: 60s, open_for: 300s}
        """)
        let p = try #require(c.provider(named: "deepseek"))
        #expect(p.timeouts == Timeouts(total: 30, connect: 5, firstToken: 15, idle: 20))
        #expect(p.headers == ["X-Team": "search"])
        #expect(c.route(named: "default")?.targets == [TargetRef(model: "deepseek-v4", weight: 0.6), TargetRef(model: "deepseek/other-model")])
    }

    @Test func jsonIsValidYAML() throws {
        let c = try load(#"{"providers": {"p": {"api": "openai", "base_url": "http://127.0.0.1:1/v1"}}, "models": {"m": {"provider": "p"}}}"#)
        #expect(c.models.first?.id == "m")
    }

    @Test(arguments: [("500ms", 0.5), ("30s", 30.0), ("2m", 120.0), ("1.5s", 1.5), ("10", 10.0), ("1h", 3600.0)])
    func durations(text: String, seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test(arguments: ["fast", "-1s", "5 parsecs", "", "s"])
    func badDurations(text: String) {
        #expect(DurationParser.seconds(text) == nil)
    }

    @Test func unknownKeyNamesLineColumnAndSuggestion() throws {
        let e = try #require(error("""
        providers:
          p: {api: openai, base_url: http://x/v1}
        routes:
          default:
            retires: 2
            targets: [p/m]
        """))
        #expect(e.line == 5)
        #expect(e.column == 5)
        #expect(e.key == "routes.default.retires")
        #expect(e.message.contains("did you mean 'retries'?"))
        #expect(e.description.hasPrefix("test.yaml:5:5: routes.default.retires: unknown key"))
    }

    @Test func badDurationIsLocated() throws {
        let e = try #require(error("""
        providers:
          p:
            api: openai
            base_url: http://x/v1
            timeout: fast
        """))
        #expect(e.key == "providers.p.timeout")
        #expect(e.line == 5)
        #expect(e.message.contains("expected a duration"))
    }

    @Test func unknownProviderInModel() throws {
        let e = try #require(error("""
        providers:
          openai: {api: openai, base_url: http://x/v1}
        models:
          m: {provider: opnai}
        """))
        #expect(e.message.contains("unknown provider 'opnai'"))
        #expect(e.message.contains("did you mean 'openai'?"))
        #expect(e.key == "models.m.provider")
    }

    @Test func unknownModelInRoute() throws {
        let e = try #require(error("""
        providers:
          p: {api: openai, base_url: http://x/v1}
        models:
          gpt-5: {provider: p}
        routes:
          default: {targets: [gtp-5]}
        """))
        #expect(e.message.contains("unknown model 'gtp-5'"))
        #expect(e.key == "routes.default.targets.0")
    }

    @Test func wrongAPI() throws {
        let e = try #require(error("providers:\n  p: {api: grpc, base_url: http://x}\n"))
        #expect(e.key == "providers.p.api")
        #expect(e.message.contains("expected one of openai, anthropic, gemini"))
    }

    @Test func missingFields() throws {
        #expect(try #require(error("providers:\n  p: {api: openai}\n")).message == "missing 'base_url'")
        #expect(try #require(error("providers:\n  p: {base_url: http://x}\n")).message.hasPrefix("missing 'api'"))
        #expect(try #require(error("providers:\n  p: {api: openai, base_url: ftp://x}\n")).message.contains("http://"))
    }

    @Test func invalidYAMLIsLocated() throws {
        let e = try #require(error("providers:\n  p: {api: openai\n  q: [\n"))
        #expect(e.line != nil)
        #expect(e.message.hasPrefix("not valid YAML"))
    }

    @Test func taskNamesUnknownRoute() throws {
        let e = try #require(error("""
        providers:
          p: {api: openai, base_url: http://x/v1}
        routes:
          default: {targets: [p/m]}
        tasks:
          code: defualt
        """))
        #expect(e.message.contains("did you mean 'default'?"))
    }

    @Test func wrongTypes() throws {
        #expect(try #require(error("providers: [1, 2]\n")).message.contains("expected a mapping"))
        #expect(try #require(error("providers:\n  p: {api: openai, base_url: http://x/v1}\nroutes:\n  r: {retries: many, targets: [p/m]}\n")).message.contains("whole number"))
        #expect(try #require(error("providers:\n  p: {api: openai, base_url: http://x/v1}\nroutes:\n  r: {targets: []}\n")).message.contains("at least one"))
        #expect(try #require(error("")).message.contains("empty"))
    }
}
