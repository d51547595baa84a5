import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// Breakers and cooldowns: read before a request, claimed for probes, updated
/// with the attempt log. Every write is one transaction, so concurrent
/// processes see each other's changes whole.
extension AttemptLog {
    /// A name for this process's probes: its pid and a random part.
    public static func newOwner() -> String {
        var g = SystemRandomNumberGenerator()
        return "\(getpid())-\(String(g.next() & 0xFFFF_FFFF, radix: 16))"
    }

    /// The breakers and live cooldowns of `providers` and of their models
    /// (keys `provider` and `provider/model-id`).
    public func snapshot(providers: [String], now: Double) throws(Failure) -> HealthSnapshot {
        let wanted = Set(providers)
        func ours(_ key: String) -> Bool { wanted.contains(String(key.prefix { $0 != "/" })) }
        do {
            return try queue.read { db in
                var health = HealthSnapshot()
                // Both tables hold a row per provider and per model that failed: small enough to read whole.
                try db.each(sql: "SELECT \(Self.breakerColumns) FROM breakers") { row in
                    if let r = Self.breaker(row, now: now), ours(r.provider) { health.breakers[r.provider] = r }
                }
                // A cooldown further off than any server may ask for was not written by llmr: ignored.
                try db.each(sql: """
                    SELECT CAST(provider AS TEXT), CAST(until AS REAL) FROM cooldowns
                    WHERE provider IS NOT NULL AND until IS NOT NULL
                    """) { row in
                    let key = row.string(0), until = row.double(1)
                    if ours(key), until > now, until <= now + RetryAfter.limit { health.cooldowns[key] = until }
                }
                return health
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Takes the half-open probe of `provider` if its open period is over and
    /// nobody holds a live claim: exactly one of many processes gets it.
    public func claimProbe(provider: String, now: Double) -> Bool {
        claimProbe(provider: provider, now: now, probeTimeout: Breaker.defaultProbeTimeout)
    }

    func claimProbe(provider: String, now: Double, probeTimeout: Double) -> Bool {
        // Whether the probe is free is the breaker's rule; the store reads the
        // record and writes the claim in one write transaction, so one process wins.
        let rules = Breaker(config: BreakerConfig(), probeTimeout: probeTimeout)
        do {
            return try queue.write { db in
                var record: BreakerRecord?
                try db.each(sql: "SELECT \(Self.breakerColumns) FROM breakers WHERE provider = ?", arguments: [provider]) { row in
                    record = Self.breaker(row, now: now)
                }
                guard rules.view(record, now: now) == .probeAvailable else { return false }
                try db.execute(sql: "UPDATE breakers SET probe_owner = ?, probe_started = ? WHERE provider = ?",
                               arguments: [owner, now, provider])
                return db.changesCount == 1
            }
        } catch {
            return false
        }
    }

    /// The 95th-percentile time to first token, in seconds, of each provider's
    /// last 200 answers; providers with fewer than 20 are left out.
    public func firstTokenP95(providers: [String]) throws(Failure) -> [String: Double] {
        do {
            return try queue.read { db in
                var out: [String: Double] = [:]
                for p in providers {
                    let times = try db.ints("""
                        SELECT CAST(ttft_ms AS INTEGER) FROM attempts WHERE provider = ? AND outcome = 'ok' AND ttft_ms IS NOT NULL
                        ORDER BY id DESC LIMIT 200
                        """, [p]).sorted()
                    guard times.count >= 20 else { continue }
                    out[p] = Double(times[min(times.count - 1, Int(saturating: (Double(times.count) * 0.95).rounded(.up)) - 1)]) / 1000
                }
                return out
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    public func medianFirstToken(of labels: [String]) throws(Failure) -> [String: Double] {
        do {
            return try queue.read { db in
                var out: [String: Double] = [:]
                for label in labels {
                    let parts = label.split(separator: "/", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { continue }
                    let times = try db.ints("""
                        SELECT CAST(ifnull(ttft_ms, latency_ms) AS INTEGER) FROM attempts
                        WHERE provider = ? AND model_id = ? AND outcome = 'ok' AND route IS NOT '\(RecordedRoute.check)'
                        ORDER BY at DESC LIMIT 50
                        """, [parts[0], parts[1]]).sorted()
                    if let median = StatsAccumulator.percentile(times, 0.5) { out[label] = Double(median) }
                }
                return out
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// The share of requests since `since` (on `route`) that hedged.
    public func hedgeShare(route: String?, since: Double) throws(Failure) -> Double {
        do {
            return try queue.read { db in
                var requests = 0, hedged = 0
                try db.each(sql: """
                    SELECT count(DISTINCT request_id), count(DISTINCT CASE WHEN hedge = 1 THEN request_id END)
                    FROM attempts WHERE at >= ? AND route IS ?
                    """, arguments: [since, route]) { row in
                    requests = row.int(0)
                    hedged = row.int(1)
                }
                return requests == 0 ? 0 : Double(hedged) / Double(requests)
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Closes every breaker and clears every cooldown of `providers` and their models (all when empty).
    public func reset(providers: [String]) throws(Failure) {
        do {
            try queue.write { db in
                if providers.isEmpty {
                    try db.execute(sql: "DELETE FROM breakers")
                    try db.execute(sql: "DELETE FROM cooldowns")
                }
                for p in providers {
                    for table in ["breakers", "cooldowns"] {
                        try db.execute(sql: "DELETE FROM \(table) WHERE provider = ?1 OR substr(provider, 1, length(?1) + 1) = ?1 || '/'",
                                       arguments: [p])
                    }
                }
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// The breaker columns, typed in SQL so that no stored value can fail to decode.
    static let breakerColumns = """
        CAST(provider AS TEXT), CAST(state AS TEXT), ifnull(CAST(closed_at AS REAL), 0), ifnull(CAST(open_until AS REAL), 0),
        CAST(probe_owner AS TEXT), CAST(probe_started AS REAL)
        """

    /// A stored breaker, or nil when its values are out of range (treated as
    /// absent, so closed): an open period longer than `open_for` may ever be,
    /// or times that are not finite.
    static func breaker(_ row: SQLiteRow, now: Double) -> BreakerRecord? {
        let provider = row.optionalString(0)
        let closedAt = row.double(2), openUntil = row.double(3)
        let probeStarted = row.optionalDouble(5)
        guard let provider, closedAt.isFinite, openUntil.isFinite, probeStarted?.isFinite ?? true,
              openUntil <= now + ConfigLimits.breakerOpenFor.upperBound else { return nil }
        return BreakerRecord(provider: provider, state: BreakerRecord.State(rawValue: row.string(1)) ?? .closed,
                             closedAt: closedAt, openUntil: openUntil, probeOwner: row.optionalString(4), probeStarted: probeStarted)
    }

    /// Closes `provider`'s breaker: a health check found it answering.
    public func closeBreaker(provider: String, now: Double) throws(Failure) {
        do {
            try queue.write { db in
                try db.execute(sql: """
                    UPDATE breakers SET state = 'closed', closed_at = ?, open_until = 0, probe_owner = NULL, probe_started = NULL
                    WHERE provider = ? AND state = 'open'
                    """, arguments: [now, provider])
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// The failures against a provider's breaker since a time, and against a
    /// model's: both through `attempts_failures`, an index of failures alone.
    static let providerFailuresSQL = "SELECT count(*) FROM attempts WHERE provider = ? AND failure = 2 AND at >= ? AND failure > 0"
    static let modelFailuresSQL = "SELECT count(*) FROM attempts WHERE provider = ? AND model_id = ? AND failure = 1 AND at >= ? AND failure > 0"

    /// Applies one request's attempts to the breakers and cooldowns of their
    /// providers and models (`HealthUpdate`). A provider's breaker counts
    /// transport failures and closes on any answer from it; a model's counts
    /// its own answers' failures.
    static func updateHealth(_ db: SQLiteDatabase, _ attempts: [AttemptRecord], breaker: Breaker, owner: String, now: Double) throws {
        for target in HealthUpdate.targets(of: attempts) {
            var record: BreakerRecord?
            try db.each(sql: "SELECT \(breakerColumns) FROM breakers WHERE provider = ?", arguments: [target.key]) { row in
                record = Self.breaker(row, now: now)
            }
            let since = breaker.windowStart(record, now: now)
            let failures: Int
            if let modelID = target.modelID {
                failures = try db.int(modelFailuresSQL, [target.provider, modelID, since]) ?? 0
            } else {
                failures = try db.int(providerFailuresSQL, [target.provider, since]) ?? 0
            }
            let next = breaker.after(record, provider: target.key, succeeded: target.succeeded, failedNow: target.failedNow,
                                     failuresInWindow: failures, owner: owner, now: now)
            if let next, next != record {
                try db.execute(sql: """
                    INSERT INTO breakers (provider, state, closed_at, open_until, probe_owner, probe_started)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(provider) DO UPDATE SET state = excluded.state, closed_at = excluded.closed_at,
                      open_until = excluded.open_until, probe_owner = excluded.probe_owner, probe_started = excluded.probe_started
                    """, arguments: [target.key, next.state.rawValue, next.closedAt, next.openUntil, next.probeOwner, next.probeStarted])
            }
            // Retry-After on a 429 or 503 holds the key back until then, for every process.
            if let until = target.cooldown(now: now) {
                try db.execute(sql: """
                    INSERT INTO cooldowns (provider, until) VALUES (?, ?)
                    ON CONFLICT(provider) DO UPDATE SET until = max(until, excluded.until)
                    """, arguments: [target.key, until])
            }
        }
    }
}
