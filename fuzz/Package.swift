// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Upshift's wire frame decoder and plan loader; bench/fuzz.sh builds and runs them
// (swift build -Xswiftc -sanitize=fuzzer, each target's `main` hands the process to libFuzzer's driver).
let package = Package(
    name: "UpshiftFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Upshift", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "fuzz-wire-frames", dependencies: [
            "FuzzSupport",
            .product(name: "UpshiftWire", package: "Upshift"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
        ]),
        .executableTarget(name: "fuzz-plan-loader", dependencies: [
            "FuzzSupport",
            .product(name: "UpshiftPlan", package: "Upshift"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
