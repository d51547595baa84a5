import RouterCore

/// Waiting for an event in a test: polls `condition` every millisecond until
/// it holds (true) or `limit` seconds of real time have passed (false). The
/// limit is a bound with a wide margin, never a figure under test.
public enum Waiting {
    public static func until(_ limit: Double, _ condition: () -> Bool) async -> Bool {
        let clock = SystemClock()
        let deadline = clock.now() + limit
        while !condition() {
            if clock.now() > deadline { return false }
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        return true
    }
}
