/// A small, fast generator whose sequence is fixed by its seed (SplitMix64),
/// so `--seed` reproduces weighted picks and jitter exactly.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The generator a request uses: seeded when the user asked, else the system's.
public struct RequestRandom: RandomNumberGenerator, Sendable {
    private var seeded: SeededRandom?
    private var system = SystemRandomNumberGenerator()

    public init(seed: UInt64?) {
        seeded = seed.map(SeededRandom.init(seed:))
    }

    public mutating func next() -> UInt64 {
        guard var s = seeded else { return system.next() }
        let value = s.next()
        seeded = s
        return value
    }
}
