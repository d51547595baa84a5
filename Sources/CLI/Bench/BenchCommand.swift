import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// `llmr bench`: providers and models measured side by side, through the
/// same transport and wire formats as `ask`.
struct BenchCommand {
    static let spec = CommandSpec(
        name: "bench",
        summary: "measure providers and models side by side (latency, tokens/s, errors, cost)",
        usage: "llmr bench [options] [TARGET...]",
        description: """
        Measures each TARGET (a catalog model or provider/model-id; with none, the
        targets of the route) at the same time, each with its own scheduler.
        --direct (the default) sends to each target alone: no retries, no fallback,
        breakers ignored. --via-router sends every request through the route as ask
        would, and adds attempts per request and the failover rate.
        Load: -c N keeps N requests in flight (closed loop, default 1); --rate R sends
        R requests/s per target on a schedule fixed in advance from --seed (open loop,
        --arrival poisson or constant), each request's latency measured from its
        intended start, so a slow server cannot hide behind late sends.
        Figures (times from the intended start):
          TTFT        first chunk carrying answer text - start (role-only chunks,
                      comments and keep-alives do not count)
          e2e         the API's end marker - start; service: the same from the send
          TPOT        (e2e - TTFT) / (output tokens - 1), output tokens as the
                      provider reports them, never a count of chunks
          itl         gaps between chunks that carry text (with --direct, a chunk is
                      timed when its bytes reach the transport, not when bench
                      gets round to it)
          lateness    send - intended start (scheduler and --max-concurrency queue)
          output_tps  output tokens of all answers / the run's window; rps: answers
                      / window; goodput: answers within every --slo / window
        Each as p50, p90, p95, p99, max and the sample count (a warning when p99 rests
        on fewer than 100); failures are counted by outcome and left out of latency
        figures; answers cut by --max-tokens are answers, counted apart as 'length'.
        Cost per request, per answer and per million output tokens, at catalog prices.
        Before it starts, bench says the worst-case cost of the run; --max-cost refuses
        a run whose worst case is higher; over 1 USD it asks on a terminal and needs
        --yes elsewhere. --fail-if EXPR (such as 'p95(ttft)>800ms' or 'error_rate>1%')
        exits 1 when the condition holds for any target. Exit codes: 0, 1 a check
        failed, 64 usage, 75 over --max-cost or not confirmed, 78 config.
        """,
        options: [
            OptionSpec("route", short: "r", value: "NAME", help: "the route whose targets to measure (default: 'default')"),
            OptionSpec("direct", help: "each target alone: no retries, no fallback (the default)"),
            OptionSpec("via-router", help: "every request through the route, as ask sends it"),
            OptionSpec("concurrency", short: "c", value: "N", help: "closed loop: N requests in flight per target (default 1)"),
            OptionSpec("rate", value: "R", help: "open loop: R requests per second per target"),
            OptionSpec("arrival", value: "KIND", help: "open loop: poisson (default) or constant"),
            OptionSpec("max-concurrency", value: "N", help: "open loop: at most N in flight; the wait is queue time"),
            OptionSpec("requests", short: "n", value: "N", help: "requests per target (default 20)"),
            OptionSpec("duration", value: "D", help: "run for D (30s, 2m) instead of -n"),
            OptionSpec("warmup", value: "N", help: "requests per target sent first and left out"),
            OptionSpec("timeout", value: "D", help: "the most one request may take"),
            OptionSpec("prompt", value: "TEXT", help: "the prompt of every request"),
            OptionSpec("prompts", value: "FILE", help: "prompts, one a line (JSONL: a string, {\"prompt\"} or messages)"),
            OptionSpec("prompt-tokens", value: "N", help: "synthetic prompts of about N tokens (default 256)"),
            OptionSpec("shared-prefix", help: "no random prefix: let prompt caches work"),
            OptionSpec("system", short: "s", value: "TEXT", help: "a system prompt"),
            OptionSpec("max-tokens", value: "N", help: "the most tokens an answer may have (default 128)"),
            OptionSpec("temperature", value: "X", help: "sampling temperature, 0 to 2"),
            OptionSpec("schema", value: "FILE|JSON", help: "answers must be JSON that validates; those that do not are counted apart"),
            OptionSpec("no-stream", help: "measure whole responses (no TTFT)"),
            OptionSpec("seed", value: "N", help: "the seed of the schedule and the prompts (reproducible runs)"),
            OptionSpec("slo", value: "LIST", help: "goodput objectives, such as ttft=500ms,tpot=50ms,e2e=10s"),
            OptionSpec("fail-if", value: "EXPR", help: "exit 1 when EXPR holds, such as 'p95(ttft)>800ms' (repeatable)"),
            OptionSpec("max-cost", value: "USD", help: "refuse a run whose worst case costs more"),
            OptionSpec("yes", help: "run even when the worst case is over 1 USD"),
            OptionSpec("json", help: "print llmr.bench/1"),
            OptionSpec("csv", help: "print one row per request"),
            OptionSpec("quiet", short: "q", help: "no progress, just the result"),
            OptionSpec("config", value: "FILE", help: "the config file"),
            .color,
            .help,
        ]
    )

    let terminal: Terminal

    /// What the command line asked for, checked.
    struct Settings {
        var load: BenchLoad
        var workload: BenchWorkload
        var timeout: Double?
        var stream: Bool
        var viaRouter: Bool
        var slo: BenchSLO?
        var checks: [BenchCheck]
        var maxCost: Double?
        var seedGiven: Bool
    }

    func run(_ args: [String]) async -> Int32 {
        let (parsed, report): (ParsedArguments, Report)
        switch Self.spec.start(args, terminal: terminal) {
        case .done(let code): return code
        case .run(let p, let r): (parsed, report) = (p, r)
        }
        let settings: Settings
        let context: RoutingContext
        let targets: [BenchTarget]
        do {
            settings = try Self.settings(parsed)
            context = try await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment)
            targets = try Self.targets(parsed, context: context, viaRouter: settings.viaRouter)
        } catch {
            return report.fail(error)
        }
        if let refusal = confirmCost(settings, targets: targets, context: context, parsed: parsed, report: report) { return refusal }

        let runs = targets.enumerated().map { i, t in BenchTargetRun(target: t, index: i, planned: settings.load.requests, slo: settings.slo) }
        let started = SystemClock().wallTime()
        let log = BenchLog(context: context, at: started)
        // CSV rows are written as requests finish: nothing waits in memory for the end.
        let csv = parsed.has("csv")
        if csv { Output.stdout(BenchOutput.csvHeader) }
        let runner = BenchRunner(context: context, workload: settings.workload, load: settings.load, timeout: settings.timeout,
                                 stream: settings.stream, log: log, onSample: csv ? BenchOutput.writeRow : nil)
        let showProgress = terminal.stderrIsTTY && !parsed.has("quiet") && !parsed.has("json") && !csv
        let progress = showProgress ? BenchProgress(runs: runs, load: settings.load, report: report, width: terminal.stderrColumns) : nil
        let watcher = progress.map { p in Task { await p.run() } }
        // Ctrl-C or SIGTERM: send nothing more, end what is in flight, then show
        // and record what finished (a second signal ends llmr at once).
        let running = Task { _ = await runner.run(runs) }
        Interrupts.onSignal(.windsDown) {
            runner.stop()
            running.cancel()
        }
        await running.value
        watcher?.cancel()
        _ = await watcher?.value
        progress?.clear()

        let accumulators = runs.map { r in r.progress.withLock { $0.figures } }
        let figures = zip(runs, accumulators).map { BenchFigures(target: $0.target.name, $1) }
        log.flush(runs)
        if let e = log.firstFailure {
            report.note("warning: the run was not recorded in the state database (\(e))")
        }
        if Interrupts.exitCode != nil {
            report.note("interrupted: the figures below are those of the \(figures.map(\.requests).reduce(0, +)) requests that finished")
        }
        let output = BenchOutput(figures: figures, accumulators: accumulators,
                                 settings: settings, color: report.color)
        if parsed.has("json") {
            Output.stdout(output.json(startedAt: started).serialized() + "\n")
        } else if csv {
            // The rows are out already.
        } else {
            Output.stdout(output.table(histograms: terminal.stdoutIsTTY, width: terminal.stdoutColumns))
        }
        for warning in output.warnings { report.note("warning: " + warning) }
        let failed = output.failedChecks()
        for f in failed { report.note("check failed: " + f) }
        return failed.isEmpty ? ExitCode.ok.rawValue : 1
    }

    /// Reads and checks every option.
    static func settings(_ parsed: ParsedArguments) throws(Problem) -> Settings {
        do {
            let concurrency = try parsed.int("concurrency", 1...10_000)
            let rate = try parsed.number("rate", 0.001...1_000_000, example: "requests per second")
            let maxConcurrency = try parsed.int("max-concurrency", 1...10_000)
            if rate != nil, concurrency != nil { throw UsageError("use -c (closed loop) or --rate (open loop), not both") }
            if rate == nil, maxConcurrency != nil { throw UsageError("--max-concurrency goes with --rate") }
            let arrivalText = parsed.value("arrival") ?? "poisson"
            guard let arrival = BenchArrival(rawValue: arrivalText) else {
                throw UsageError("--arrival takes poisson or constant, not '\(arrivalText)'\(Suggest.hint(arrivalText, in: ["poisson", "constant"]))")
            }
            if parsed.value("arrival") != nil, rate == nil { throw UsageError("--arrival goes with --rate") }
            let requests = try parsed.int("requests", 1...10_000_000)
            let duration = try parsed.duration("duration")
            if requests != nil, duration != nil { throw UsageError("use -n or --duration, not both") }
            if parsed.has("direct"), parsed.has("via-router") { throw UsageError("use --direct or --via-router, not both") }
            let promptSources = ["prompt", "prompts", "prompt-tokens"].filter { parsed.value($0) != nil }
            if promptSources.count > 1 { throw UsageError("use one of --prompt, --prompts and --prompt-tokens") }
            var prompts: [[Message]]?
            if let text = parsed.value("prompt") { prompts = [[Message(role: .user, content: text)]] }
            if let file = parsed.value("prompts") { prompts = try BenchWorkload.prompts(file: file) }
            var system = SystemRandomNumberGenerator()
            var seed = system.next()
            if let v = parsed.value("seed") {
                guard let s = UInt64(v) else { throw UsageError("--seed needs a whole number from 0 to \(UInt64.max), not '\(v)'") }
                seed = s
            }
            let loop: BenchLoad.Loop = rate.map { .open(rate: $0, arrival: arrival, maxConcurrency: maxConcurrency) } ?? .closed(concurrency: concurrency ?? 1)
            var workload = BenchWorkload(prompts: prompts, promptTokens: try parsed.int("prompt-tokens", 1...1_000_000) ?? 256,
                                         system: parsed.value("system"),
                                         maxTokens: try parsed.int("max-tokens", ConfigLimits.maxTokens) ?? 128,
                                         temperature: try parsed.number("temperature", 0...2, example: "a number"),
                                         sharedPrefix: parsed.has("shared-prefix"), seed: seed)
            if let s = parsed.value("schema") { workload.schema = try SchemaInput.load(s) }
            var checks: [BenchCheck] = []
            for text in parsed.values["fail-if"] ?? [] {
                do { checks.append(try BenchCheck.parse(text)) } catch { throw UsageError(error.message) }
                // Goodput counts answers within the objectives: without them there is nothing to count.
                if checks.last?.metric == "goodput", parsed.value("slo") == nil {
                    throw UsageError("--fail-if '\(text)' needs --slo, which says what a good answer is (such as --slo ttft=500ms)")
                }
            }
            return Settings(load: BenchLoad(loop: loop, requests: duration == nil ? requests ?? 20 : nil, duration: duration,
                                            warmup: try parsed.int("warmup", 0...1_000_000) ?? 0),
                            workload: workload, timeout: try parsed.duration("timeout"), stream: !parsed.has("no-stream"),
                            viaRouter: parsed.has("via-router"), slo: try slo(parsed.value("slo")), checks: checks,
                            maxCost: try parsed.number("max-cost", ConfigLimits.maxCost, example: "an amount in USD"),
                            seedGiven: parsed.value("seed") != nil)
        } catch let e as UsageError {
            throw .usage(e.message)
        } catch let e as Problem {
            throw e
        } catch {
            throw .usage("\(error)")
        }
    }

    /// `--slo ttft=500ms,tpot=50ms,e2e=10s`.
    static func slo(_ text: String?) throws(UsageError) -> BenchSLO? {
        guard let text else { return nil }
        var slo = BenchSLO()
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard kv.count == 2, let v = DurationParser.seconds(kv[1]), v > 0, v <= ConfigLimits.day else {
                throw UsageError("--slo takes NAME=DURATION pairs, such as ttft=500ms,tpot=50ms,e2e=10s, not '\(part)'")
            }
            switch kv[0] {
            case "ttft": slo.ttft = v
            case "tpot": slo.tpot = v
            case "e2e": slo.e2e = v
            default: throw UsageError("--slo knows ttft, tpot and e2e, not '\(kv[0])'\(Suggest.hint(kv[0], in: ["ttft", "tpot", "e2e"]))")
            }
        }
        return slo
    }

    /// The rows: each TARGET, or the route's candidates (`--direct`), or the route itself (`--via-router`).
    static func targets(_ parsed: ParsedArguments, context: RoutingContext, viaRouter: Bool) throws(Problem) -> [BenchTarget] {
        var rng = SeededRandom(seed: 0)
        let probe = ChatRequest(messages: [Message(role: .user, content: "")])
        if !parsed.positionals.isEmpty {
            if parsed.value("route") != nil { throw .usage("name targets or a route (-r), not both") }
            return try parsed.positionals.map { (name) throws(Problem) -> BenchTarget in
                let plan = try context.plan(probe, selection: .model(name), using: &rng)
                // Rows are named as attempts are: provider/model-id.
                return BenchTarget(name: plan.candidates.first?.name ?? name, candidate: viaRouter ? nil : plan.candidates.first, selection: .model(name))
            }
        }
        let selection: RouteSelection = parsed.value("route").map { .route($0) } ?? .automatic
        let plan = try context.plan(probe, selection: selection, using: &rng)
        if viaRouter { return [BenchTarget(name: "route " + (plan.route ?? "default"), candidate: nil, selection: selection)] }
        var seen: Set<String> = []
        return plan.candidates.filter { seen.insert($0.label).inserted }.map { BenchTarget(name: $0.name, candidate: $0, selection: .model($0.label)) }
    }

    /// Says the worst case; refuses a run over `--max-cost`, or over 1 USD unconfirmed. Nil: go on.
    func confirmCost(_ s: Settings, targets: [BenchTarget], context: RoutingContext, parsed: ParsedArguments, report: Report) -> Int32? {
        let perTarget = s.load.requests.map { $0 + s.load.warmup }
            ?? s.load.duration.flatMap { d -> Int? in
                if case .open(let rate, _, _) = s.load.loop { return Int(saturating: (d * rate * 1.5).rounded(.up)) + s.load.warmup }
                return nil
            }
        var worst: Double? = 0
        var unpriced: [String] = []
        for t in targets {
            var rng = SeededRandom(seed: 0)
            let models = t.candidate.map { [$0.model] }
                ?? ((try? context.plan(ChatRequest(messages: []), selection: t.selection, using: &rng))?.candidates.map(\.model) ?? [])
            let worstRequest = Usage(inputTokens: s.workload.worstPromptTokens, outputTokens: s.workload.maxTokens)
            let each = models.compactMap { $0.cost(of: worstRequest) }.max()
            if each == nil { unpriced.append(t.name) }
            if let n = perTarget { worst = worst.map { $0 + Double(n) * (each ?? 0) } } else if (each ?? 0) > 0 { worst = nil }
        }
        let line = worst.map { "$" + NumberText.sixDecimals($0) } ?? "unbounded (a closed loop for a duration)"
        if !parsed.has("quiet") {
            report.note("worst case for this run: \(line)" + (unpriced.isEmpty ? "" : "; no prices for \(unpriced.joined(separator: ", "))"))
        }
        if let cap = s.maxCost, (worst ?? .infinity) > cap {
            return report.fail(Problem(.budget, "the worst case (\(line)) is over --max-cost $\(NumberText.sixDecimals(cap)); nothing was sent"))
        }
        guard (worst ?? .infinity) > 1, !parsed.has("yes") else { return nil }
        guard terminal.stdinIsTTY, terminal.stderrIsTTY else {
            return report.fail(Problem(.budget, "the worst case (\(line)) is over 1 USD; add --yes to run it anyway"))
        }
        Output.stderr("llmr: run it? [y/N] ")
        var answer = [UInt8](repeating: 0, count: 16)
        let n = read(0, &answer, answer.count)
        guard n > 0, answer[0] == UInt8(ascii: "y") || answer[0] == UInt8(ascii: "Y") else {
            return report.fail(Problem(.budget, "not confirmed; nothing was sent"))
        }
        return nil
    }
}
