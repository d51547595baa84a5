/// The accepted range of every number in the config, in one place.
///
/// A value outside its range is refused when the config is read (file, line,
/// column, the range), so nothing later has to guard against `1e300s` or a
/// price of `1e20`. A duration of 0 means "no limit" wherever a limit is meant.
public enum ConfigLimits {
    /// One day: the longest timeout or wait llmr takes from a config.
    public static let day = 86_400.0

    /// `timeout`, `connect_timeout`, `first_token_timeout`, `idle_timeout`, `key_cmd_timeout` (0: no limit).
    public static let timeout: ClosedRange<Double> = 0...day
    /// `max_retry_wait`, `alerts.p50_over_baseline`, `alerts.p99`.
    public static let wait: ClosedRange<Double> = 0...day
    /// `breaker.window`.
    public static let breakerWindow: ClosedRange<Double> = 1...day
    /// `breaker.open_for`: up to 30 days.
    public static let breakerOpenFor: ClosedRange<Double> = 1...(30 * day)
    /// `health.interval`.
    public static let healthInterval: ClosedRange<Double> = 1...day
    /// `hedge.after`.
    public static let hedgeAfter: ClosedRange<Double> = 0...3600
    /// `breaker.failures`.
    public static let breakerFailures: ClosedRange<Int> = 1...1_000_000
    /// `retries`.
    public static let retries: ClosedRange<Int> = 0...100
    /// `max_attempts`.
    public static let maxAttempts: ClosedRange<Int> = 1...1000
    /// Catalog `input` and `output` prices, USD per million tokens.
    public static let price: ClosedRange<Double> = 0...1_000_000
    /// Catalog `context`, in tokens.
    public static let context: ClosedRange<Int> = 1...1_000_000_000
    /// A target's `weight`.
    public static let weight: ClosedRange<Double> = 0...1_000_000
    /// `alerts.cost_over_baseline`, a factor.
    public static let factor: ClosedRange<Double> = 0.001...1_000_000
    /// `--max-tokens`, and what a continuing attempt may ask for.
    public static let maxTokens: ClosedRange<Int> = 1...100_000_000
    /// `chat.history_size`, entries.
    public static let historySize: ClosedRange<Int> = 0...100_000
    /// A budget's `usd`.
    public static let budgetUSD: ClosedRange<Double> = 0.000001...1_000_000
    /// A budget's `per` (and a rate limit's): one second to 366 days.
    public static let budgetWindow: ClosedRange<Double> = 1...(366 * day)
    /// A rate limit's `requests` and `tokens` (0 would forbid everything: leave the limit out instead).
    public static let rateCount: ClosedRange<Int> = 1...1_000_000_000
    /// `--max-cost`, USD.
    public static let maxCost: ClosedRange<Double> = 0...1_000_000
}
