import Testing
@testable import RouterCore

/// Config errors for text that is not valid YAML or not the right shape, as
/// they read before the move from Yams to libyaml: every one must stay byte
/// for byte the same, place and wording.
@Suite struct ConfigErrorGoldenTests {
    static let corpus: [String] = [
        "",
        "# only a comment\n",
        "---\n",
        "--- a\n--- b\n",
        "providers: {}\n...\nfoo: 1\n",
        "providers: {api: openai\n",
        "providers:\n  p: {api: openai\n  q: [\n",
        "a: b: c\n",
        "key: 'unterminated\n",
        "key: \"bad \\q escape\"\n",
        "\tproviders: x\n",
        "providers:\n  - a\n  b: c\n",
        "*undefined\n",
        "providers: *nothing\n",
        "providers: &a {p: {api: openai, base_url: http://x/v1}}\nmodels: *a\n",
        "providers: {}\nproviders: {}\n",
        "providers:\n  p: {api: openai, api: anthropic, base_url: http://x}\n",
        "b: 1\na: 1\nb: 2\na: 2\n",
        "a: 'x'\n'a': y\n",
        "1: a\n1: b\n",
        "&x a: b\n*x : c\n",
        "? [a]\n: b\n",
        "? {a: b}\n: c\n",
        "providers: [1, 2]\n",
        "providers:\n  p:\n    api: openai\n    base_url: http://x/v1\n    timeout: 10 years\n",
        "providers: ~\n",
        "providers:\n",
        "providers: ''\n",
        "providers: 'null'\n",
        "a: \u{01}\n",
        "a: \u{0}\n",
        "%YAML 2.0\n---\na: b\n",
        "%YAML 1.1\n%YAML 1.1\n---\na: b\n",
        "a: |\n  text\n b: c\n",
        "prövider: x\n",
        "providers:\n  p: {api: öpenai, base_url: http://x}\n",
        "[a, b]\n",
        "'quoted': 1\n",
        "providers: {p: {api: openai, base_url: http://x/v1, headers: {X: [1]}}}\n",
        "providers:\n  p: &p {api: openai, base_url: http://x/v1}\n  q: *p\nmodels:\n  m: {provider: r, id: x}\n",
        "\u{FEFF}providers: {}\nmodels: {m: {provider: nope, id: x}}\n",
        "providers:\r\n  p: {api: opnai, base_url: http://x}\r\n",
        "key: [a, b\n",
        "- a\n- b\n- : c\n",
        "providers: !!str\n",
        "providers: !!map {p: !!str {api: openai}}\n",
        "providers:\n  p: {api: openai, base_url: http://x/v1, stream: maybe}\n",
        "providers:\n  p: {api: openai, base_url: \"http://x/v1\", timeout: \"5s\", headers: \"x\"}\n",
        "providers:\n  p:\n    api: openai\n    base_url: http://x/v1\nmodels:\n  m:\n    provider: p\n    id: x\n    input: .inf\n",
        "providers:\n  p: {api: openai, base_url: http://x/v1}\nroutes:\n  r: {targets: [{model: p/x, weight: -1}]}\n",
        "providers:\n  p: {api: openai, base_url: http://x/v1}\nroutes:\n  r: {targets: [[p/x]]}\n",
        "providers:\n  p: {api: openai, base_url: http://x/v1}\nroutes:\n  r:\n    targets:\n      - model: p/x\n        weight: 1\n        extra: 2\n",
        "breaker: {failures: 1_000_000_000_000}\n",
        "breaker: {window: -1s}\n",
        "chat: {history: [1]}\n",
        "log: {content: perhaps}\n",
        "providers:\n  p: {api: openai, base_url: http://x/v1}\n  p2: {api: openai, base_url: http://x/v1, key_cmd: [a]}\n",
        "x: \"\\uD800\"\n",
        "x: \"\\U0010FFFF\\x41\"\nproviders: 1\n",
        "a:\n  - b\n  -c: d\n",
        "a: @b\n",
        "a: `b\n",
        "!<!> a: b\n",
        "!local a: b\n",
        "a: !!python/object:x b\n",
        "%TAG ! tag:x,2000:\n---\n!a providers: 1\n",
        "%TAG !e! tag:x,2000:\n%TAG !e! tag:y,2000:\n---\na: b\n",
        "a: !e!x b\n",
        "a:\n\t- b\n",
        "a: 'b\n\n  c'\nproviders: [x]\n",
        "a: >\n  folded\n  text\nproviders: [x]\n",
    ]

    static let expected: [String] = [
        "golden.yaml: the file is empty; it needs at least a 'providers' and a 'models' section",
        "golden.yaml: the file is empty; it needs at least a 'providers' and a 'models' section",
        "golden.yaml:2:1: expected a mapping of keys to values, got ''",
        "golden.yaml:2:1: not valid YAML: but found another document",
        "golden.yaml:3:1: not valid YAML: did not find expected <document start>",
        "golden.yaml:2:1: not valid YAML: did not find expected ',' or '}'",
        "golden.yaml:3:4: not valid YAML: did not find expected ',' or '}'",
        "golden.yaml:1:5: not valid YAML: mapping values are not allowed in this context",
        "golden.yaml:2:1: not valid YAML: found unexpected end of stream",
        "golden.yaml:1:11: not valid YAML: found unknown escape character",
        "golden.yaml:1:1: not valid YAML: found character that cannot start any token",
        "golden.yaml:3:3: not valid YAML: did not find expected '-' indicator",
        "golden.yaml:1:1: not valid YAML: found undefined alias",
        "golden.yaml:1:12: not valid YAML: found undefined alias",
        "golden.yaml:1:20: models.p.api: unknown key 'api' in models.p; expected one of: provider, id, input, output, cached_input, context, limits",
        "golden.yaml:1:1: duplicate key 'providers'",
        "golden.yaml:2:7: duplicate key 'api'",
        "golden.yaml:2:1: duplicate key 'a', 'b'",
        "golden.yaml:1:1: duplicate key 'a'",
        "golden.yaml:1:1: duplicate key '1'",
        "golden.yaml:1:1: duplicate key 'a'",
        "golden.yaml:1:3: keys must be plain text",
        "golden.yaml:1:3: keys must be plain text",
        "golden.yaml:1:12: providers: expected a mapping of keys to values, got a list",
        "golden.yaml:5:14: providers.p.timeout: expected a duration from 0s to 1d, such as 500ms, 30s or 2m, got '10 years'",
        "golden.yaml:1:12: providers: expected a mapping of keys to values, got '~'",
        "golden.yaml:1:11: providers: expected a mapping of keys to values, got ''",
        "golden.yaml:1:12: providers: expected a mapping of keys to values, got ''",
        "golden.yaml:1:12: providers: expected a mapping of keys to values, got 'null'",
        "golden.yaml: not readable as YAML: control characters are not allowed",
        "golden.yaml: not readable as YAML: control characters are not allowed",
        "golden.yaml:1:1: not valid YAML: found incompatible YAML document",
        "golden.yaml:2:1: not valid YAML: found duplicate %YAML directive",
        "golden.yaml:3:2: not valid YAML: did not find expected key",
        "golden.yaml:1:1: prövider: unknown key 'prövider' at the top level (did you mean 'providers'?); expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
        "golden.yaml:2:12: providers.p.api: expected one of openai, anthropic, gemini, got 'öpenai' (did you mean 'openai'?)",
        "golden.yaml:1:1: expected a mapping of keys to values, got a list",
        "golden.yaml:1:1: quoted: unknown key 'quoted' at the top level; expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
        "golden.yaml:1:66: providers.p.headers.X: expected text, got a list",
        "golden.yaml:5:17: models.m.provider: unknown provider 'r' (did you mean 'p'?); the providers section defines: p, q",
        "golden.yaml:2:1: not valid YAML: did not find expected <document start>",
        "golden.yaml:2:12: providers.p.api: expected one of openai, anthropic, gemini, got 'opnai' (did you mean 'openai'?)",
        "golden.yaml:2:1: not valid YAML: did not find expected ',' or ']'",
        "golden.yaml:3:3: not valid YAML: did not find expected key",
        "golden.yaml:1:12: providers: expected a mapping of keys to values, got ''",
        "golden.yaml:1:22: providers.p: missing 'base_url'",
        "golden.yaml:2:51: providers.p.stream: expected true or false, got 'maybe'",
        "golden.yaml:2:69: providers.p.headers: expected a mapping of keys to values, got 'x'",
        "golden.yaml:9:12: models.m.input: expected a number from 0 to 1000000, got '.inf'",
        "golden.yaml:4:38: routes.r.targets.0.weight: expected a number from 0 to 1000000, got '-1'",
        "golden.yaml:4:17: routes.r.targets.0: expected a mapping of keys to values, got a list",
        "golden.yaml:8:9: routes.r.targets.0.extra: unknown key 'extra' in routes.r.targets.0; expected one of: model, weight",
        "golden.yaml:1:21: breaker.failures: expected a whole number from 1 to 1000000, got '1_000_000_000_000'",
        "golden.yaml:1:19: breaker.window: expected a duration from 1s to 1d, such as 500ms, 30s or 2m, got '-1s'",
        "golden.yaml:1:17: chat.history: expected true or false, got a list",
        "golden.yaml:1:16: log.content: expected true or false, got 'perhaps'",
        "golden.yaml:3:53: providers.p2.key_cmd: expected text, got a list",
        "golden.yaml:1:7: not valid YAML: found invalid Unicode character escape code",
        "golden.yaml:1:1: x: unknown key 'x' at the top level; expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
        "golden.yaml:3:3: not valid YAML: did not find expected '-' indicator",
        "golden.yaml:1:4: not valid YAML: found character that cannot start any token",
        "golden.yaml:1:4: not valid YAML: found character that cannot start any token",
        "golden.yaml:1:1: a: unknown key 'a' at the top level; expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
        "golden.yaml:1:1: a: unknown key 'a' at the top level; expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
        "golden.yaml:1:1: a: unknown key 'a' at the top level; expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
        "golden.yaml:3:15: providers: expected a mapping of keys to values, got '1'",
        "golden.yaml:2:1: not valid YAML: found duplicate %TAG directive",
        "golden.yaml:1:4: not valid YAML: found undefined tag handle",
        "golden.yaml:2:1: not valid YAML: found character that cannot start any token",
        "golden.yaml:1:1: a: unknown key 'a' at the top level; expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
        "golden.yaml:1:1: a: unknown key 'a' at the top level; expected one of: providers, models, routes, tasks, breaker, health, alerts, log, chat, budgets, cache, serve, state",
    ]

    @Test func everyErrorReadsAsBefore() {
        var got: [String] = []
        for text in Self.corpus {
            do {
                _ = try ConfigLoader.load(yaml: text, source: "golden.yaml")
                got.append("(loaded)")
            } catch {
                got.append(error.description)
            }
        }
        #expect(got.count == Self.expected.count)
        for (i, (g, e)) in zip(got, Self.expected).enumerated() {
            #expect(g == e, "case \(i): \(String(reflecting: Self.corpus[i]))")
        }
    }

    /// Yams's bundled libyaml refused 1,000 levels with a message naming a C
    /// function; Debian's libyaml has no limit, so llmr's own reader sets it,
    /// and says so plainly. Nothing this deep may exhaust the stack.
    @Test(arguments: ["[", "{a: ", "- "])
    func deepNestingIsRefusedNotCrashed(_ opener: String) {
        let deep = String(repeating: opener, count: 100_000) + "x\n"
        do throws(ConfigError) {
            _ = try ConfigLoader.load(yaml: deep, source: "deep.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.description == "deep.yaml:1:\(opener.count * 1000 + 1): not valid YAML: nested more than 1000 levels deep")
        }
    }
}
