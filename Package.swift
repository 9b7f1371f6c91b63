// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Palmtop",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "palmtop", targets: ["palmtop"]),
        .library(name: "PalmtopEngine", targets: ["PalmtopEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // SHA-256 (Foundation on Linux has no hashing); already in the graph through async-http-client.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // The innermost bf16 loops; the only C in the project (intrinsics need per-function target attributes).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .systemLibrary(name: "CNcursesw"),
        .target(name: "PalmtopTokenizers"),
        .target(name: "PalmtopSampling"),
        .target(name: "PalmtopEngine", dependencies: ["CKernels", "PalmtopTokenizers", "PalmtopSampling"]),
        .target(name: "PalmtopPrompts", dependencies: ["PalmtopEngine", .product(name: "Yams", package: "Yams")]),
        // The remote backend: an OpenAI-compatible server behind the engine's ModelBackend interface.
        .target(name: "PalmtopRemote", dependencies: ["PalmtopEngine", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        // BIG-bench JSON tasks run by BIG-bench's own protocol (task data is pulled at run time, never shipped).
        // It also turns a task into a library prompt for the REPL (`BigBenchLivePrompt`).
        .target(name: "PalmtopBigBench", dependencies: ["PalmtopEngine", "PalmtopPrompts", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "PalmtopTUI", dependencies: ["CNcursesw", "PalmtopEngine", "PalmtopPrompts", "PalmtopBigBench"]),
        .executableTarget(
            name: "palmtop",
            dependencies: ["PalmtopTUI", "PalmtopPrompts", "PalmtopEngine", "PalmtopRemote", "PalmtopBigBench",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Fuzz targets (`make fuzz`): the bodies, and one thin executable each. Built plainly, an executable
        // replays the files it is given; built with -sanitize=fuzzer -DFUZZING, libFuzzer drives it.
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "PalmtopFuzzTargets", dependencies: ["PalmtopEngine", "PalmtopPrompts", "CLibFuzzer"]),
        .executableTarget(name: "FuzzGGUF", dependencies: ["PalmtopFuzzTargets"]),
        .executableTarget(name: "FuzzPromptFile", dependencies: ["PalmtopFuzzTargets"]),
        .executableTarget(name: "FuzzDevSet", dependencies: ["PalmtopFuzzTargets"]),
        // Fixture paths, the default models and the release binary's runner for tests.
        .target(name: "PalmtopTestSupport", dependencies: ["PalmtopEngine"], path: "Tests/PalmtopTestSupport"),
        .testTarget(name: "PalmtopTokenizersTests", dependencies: ["PalmtopTokenizers", "PalmtopEngine", "PalmtopTestSupport"]),
        .testTarget(name: "PalmtopSamplingTests", dependencies: ["PalmtopSampling"]),
        .testTarget(name: "PalmtopEngineTests", dependencies: ["PalmtopEngine", "CKernels", "PalmtopTestSupport",
                                                             .product(name: "Crypto", package: "swift-crypto")]),
        // FuzzRegressionTests replays the fuzz findings (Tests/Fixtures/fuzz) through the fuzz targets.
        .testTarget(name: "PalmtopPromptsTests", dependencies: ["PalmtopPrompts", "PalmtopFuzzTargets", "PalmtopTestSupport"]),
        .testTarget(name: "PalmtopBigBenchTests", dependencies: ["PalmtopBigBench", "PalmtopPrompts", "PalmtopTestSupport"]),
        .testTarget(name: "PalmtopTUITests", dependencies: ["PalmtopTUI", "PalmtopBigBench", "PalmtopTestSupport"]),
        .testTarget(name: "PalmtopRemoteTests", dependencies: ["PalmtopRemote", "PalmtopTestSupport"]),
        // Drives the release binary (built by `make test` before the suite runs).
        .testTarget(name: "PalmtopCLITests", dependencies: ["PalmtopTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
