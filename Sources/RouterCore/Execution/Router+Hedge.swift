/// Hedged requests: a second attempt started when the first is slow to its
/// first token; the first to produce one wins, and the other is cancelled.
extension Router {
    /// What one side of a race sends its referee.
    enum RaceSignal: Sendable {
        case token(Int)
        case delta(Int, String)
        case timer
        case done(Int, AttemptOutcome)
    }

    /// How long to wait for `c`'s first token before hedging.
    func hedgeDelay(_ hedge: HedgeConfig, for c: Candidate) -> Double {
        switch hedge.after {
        case .fixed(let d): return d
        case .p95: return hedgeDelays[c.provider.name] ?? Self.defaultHedgeDelay
        }
    }

    /// The `p95` delay for a provider with no history of first tokens yet.
    public static let defaultHedgeDelay = 2.0

    /// Runs `slow` and, if it has no first token after `after` seconds, `backup`
    /// beside it. Returns each attempt that started, in start order, with
    /// whether it won. A winner's text reaches `observe` as it arrives; the
    /// loser is cancelled at once and recorded as `hedge_lost`.
    func race(_ slow: Candidate, _ backup: Candidate, after: Double, request: ChatRequest, live: Bool,
              observe: (RouterEvent) -> Void) async -> [(candidate: Candidate, outcome: AttemptOutcome, won: Bool)] {
        let (signals, feed) = AsyncStream<RaceSignal>.makeStream()
        let sides = [slow, backup]
        func launch(_ side: Int) -> Task<Void, Never> {
            Task { [self] in
                let outcome = await attempt(sides[side], request: request, live: live) { event in
                    switch event {
                    case .firstToken: feed.yield(.token(side))
                    case .delta(let text): feed.yield(.delta(side, text))
                    default: break
                    }
                }
                feed.yield(.done(side, outcome))
            }
        }
        var tasks: [Task<Void, Never>] = [launch(0)]
        let start = clock.now()
        let timer = Task { [clock] in
            do { try await clock.sleep(until: start + after) } catch { return }
            feed.yield(.timer)
        }
        var winner: Int?
        var outcomes: [Int: AttemptOutcome] = [:]
        for await signal in signals {
            switch signal {
            case .timer:
                if winner == nil, outcomes[0] == nil, tasks.count == 1 {
                    observe(.hedging(slow: slow, backup: backup, after: after))
                    observe(.attemptStarted(candidate: backup, attempt: 1))
                    tasks.append(launch(1))
                }
            case .token(let side):
                if winner == nil {
                    winner = side
                    timer.cancel()
                    if tasks.indices.contains(1 - side) { tasks[1 - side].cancel() }
                }
            case .delta(let side, let text):
                if side == winner { observe(.delta(text)) }
            case .done(let side, let outcome):
                outcomes[side] = outcome
                if side == 0, tasks.count == 1 { timer.cancel() } // finished before the hedge was due
            }
            if outcomes.count == tasks.count { break }
        }
        feed.finish()
        timer.cancel()
        return (0..<tasks.count).compactMap { side in
            guard var outcome = outcomes[side] else { return nil }
            outcome.record.hedged = tasks.count == 2
            if let winner, side != winner, outcome.record.outcome != .ok {
                outcome.record.outcome = .hedgeLost
                outcome.record.message = "cancelled: \(sides[winner].label) answered first"
            }
            return (sides[side], outcome, side == winner)
        }
    }
}
