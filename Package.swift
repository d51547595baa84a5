// swift-tools-version:6.1
import Foundation
import PackageDescription

/// Links `lib<name>` from its static archive when the system has one (Debian's
/// -dev packages ship them), so no process pays for loading it; else shared.
func link(_ name: String) -> LinkerSetting {
    let dirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
    let archive = dirs.contains { FileManager.default.fileExists(atPath: "\($0)/lib\(name).a") }
    return .linkedLibrary(archive ? ":lib\(name).a" : name)
}

let package = Package(
    name: "llmr",
    products: [
        .executable(name: "llmr", targets: ["llmr"]),
        .executable(name: "llmr-fake", targets: ["llmr-fake"]),
        .executable(name: "llmr-serve", targets: ["llmr-serve"]),
    ],
    dependencies: [
        // The gateway's HTTP server (llmr serve), in a binary of its own.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libedit's header at build time (libedit-dev); the library itself is
        // loaded by the chat REPL when it starts, not linked (see editline_shim.c).
        .target(name: "CEditLine", linkerSettings: [.linkedLibrary("dl")]),
        // The config's YAML through the reference C parser (libyaml-dev).
        .target(name: "CYAML", linkerSettings: [link("yaml")]),
        .target(name: "RouterCore", dependencies: ["CYAML"]),
        .target(name: "Providers", dependencies: ["RouterCore"]),
        .target(name: "CurlTransport", dependencies: ["RouterCore", "CCurl"]),
        // SQLite's C API (libsqlite3-dev) and the calls Swift cannot make directly.
        .target(name: "CSQLite", linkerSettings: [link("sqlite3"), .linkedLibrary("m"), .linkedLibrary("dl")]),
        .target(name: "StateStore", dependencies: ["RouterCore", "CSQLite"]),
        .target(name: "CStartup"),
        // hiredis (libhiredis-dev) and the state shared across machines on Redis.
        .target(name: "CHiredis", linkerSettings: [link("hiredis")]),
        .target(name: "RedisStore", dependencies: ["RouterCore", "StateStore", "CHiredis"]),
        // The application layer: the composition root and every use case, with no argv and no terminal.
        .target(name: "Engine", dependencies: ["RouterCore", "Providers", "CurlTransport", "StateStore", "RedisStore", "CStartup"]),
        // argv and rendering only: it reaches the transport, the wires and the store through Engine.
        .target(name: "CLI", dependencies: ["RouterCore", "Engine", "CEditLine"]),
        .executableTarget(name: "llmr", dependencies: ["CLI"]),
        // The HTTP front end on SwiftNIO over Engine; linked only by llmr-serve.
        .target(name: "Serve", dependencies: ["Engine", "Providers", "RouterCore",
                                              .product(name: "NIOCore", package: "swift-nio"),
                                              .product(name: "NIOPosix", package: "swift-nio"),
                                              .product(name: "NIOHTTP1", package: "swift-nio")]),
        .executableTarget(name: "llmr-serve", dependencies: ["Serve", "Engine", "RouterCore"]),
        .target(name: "FakeProvider", dependencies: ["RouterCore"]),
        .executableTarget(name: "llmr-fake", dependencies: ["FakeProvider"]),
        .target(name: "TestSupport", dependencies: ["FakeProvider", "RouterCore"], path: "Sources/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "RouterCore", "TestSupport", "StateStore", "RedisStore", "Providers"]),
        .testTarget(name: "RouterCoreTests", dependencies: ["RouterCore", "TestSupport", "Providers"]),
        .testTarget(name: "ProvidersTests", dependencies: ["Providers", "RouterCore", "FakeProvider"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["CLI", "Engine", "RouterCore", "FakeProvider", "Providers", "TestSupport"]),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore", "RouterCore"], exclude: ["Fixtures"]),
        .testTarget(name: "CurlTransportTests", dependencies: ["CurlTransport", "RouterCore", "FakeProvider"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "FakeProvider", "CurlTransport", "RouterCore", "StateStore", "llmr", "llmr-fake", "llmr-serve"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Async functions run on their caller's executor unless they ask to leave it
// (Swift 6.2's nonisolated(nonsending) by default): a command runs on the main
// thread from the top of main.swift to its answer, and work moves to another
// thread only where the code says so, so a request does not wait for the
// runtime to start a pool thread and hand it over.
for target in package.targets where ["RouterCore", "Providers", "CurlTransport", "StateStore", "Engine", "CLI", "llmr"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
}
