// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Upshift",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "upshift", targets: ["upshift"]),
        .executable(name: "upshift-agent", targets: ["upshift-agent"]),
        // For the fuzz package in fuzz/ (bench/fuzz.sh), which depends on this one by path.
        .library(name: "UpshiftWire", targets: ["UpshiftWire"]),
        .library(name: "UpshiftPlan", targets: ["UpshiftPlan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),

        .target(name: "UpshiftPlan", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "UpshiftWire", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        .target(name: "UpshiftPostgres", dependencies: ["CLibPQ"]),
        .target(name: "UpshiftLua", dependencies: ["CLua"]),
        .target(name: "UpshiftAgent", dependencies: [
            "UpshiftPlan", "UpshiftWire", "UpshiftPostgres", "UpshiftLua",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .target(name: "UpshiftCoordinator", dependencies: [
            "UpshiftPlan", "UpshiftWire", "UpshiftLua",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // The availability probe: a libpq client the coordinator runs during a run (kept out of the
        // coordinator module, which talks to agents only).
        .target(name: "UpshiftProbe", dependencies: ["UpshiftCoordinator", "UpshiftPostgres"]),
        // `upshift init`: reads a running primary (and standbys) over libpq and writes a starter in-place plan.
        .target(name: "UpshiftInit", dependencies: ["UpshiftPostgres"]),
        .executableTarget(name: "upshift", dependencies: [
            "UpshiftPlan", "UpshiftWire", "UpshiftCoordinator", "UpshiftProbe", "UpshiftInit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "upshift-agent", dependencies: [
            "UpshiftAgent", "UpshiftWire", "UpshiftPlan",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Shared by the test targets: where the PostgreSQL builds are, throwaway clusters run as `postgres`.
        .target(name: "UpshiftTestSupport", dependencies: ["UpshiftPostgres"], path: "Tests/Support"),

        .testTarget(name: "UpshiftPlanTests", dependencies: ["UpshiftPlan"]),
        .testTarget(name: "UpshiftWireTests", dependencies: [
            "UpshiftWire",
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        .testTarget(name: "UpshiftPostgresTests", dependencies: ["UpshiftPostgres", "UpshiftTestSupport"]),
        // CLua: the pattern tests compare the sandbox with Lua's own string library in a plain state.
        .testTarget(name: "UpshiftLuaTests", dependencies: ["UpshiftLua", "CLua"]),
        .testTarget(name: "UpshiftAgentTests", dependencies: [
            "UpshiftAgent", "UpshiftWire", "UpshiftTestSupport", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .testTarget(name: "UpshiftCoordinatorTests", dependencies: ["UpshiftCoordinator"]),
        .testTarget(name: "UpshiftInitTests", dependencies: ["UpshiftInit", "UpshiftPlan"]),
        .testTarget(name: "UpshiftProbeTests", dependencies: ["UpshiftProbe", "UpshiftTestSupport"]),
        // Drives the real executables (built because the target depends on them) against real servers.
        .testTarget(name: "EndToEndTests", dependencies: [
            "upshift", "upshift-agent", "UpshiftPostgres", "UpshiftTestSupport",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
