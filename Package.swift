// swift-tools-version:5.9
// nnom for Swift: the C runtime and host tools (built from the same sources as
// CMake), the NNoM module over them, and the `nnom` command-line tool.
//   swift build -j 2 && swift test -j 2
// The host libraries come from pkg-config (Debian: libhdf5-dev libzip-dev libcjson-dev).
import PackageDescription

let package = Package(
    name: "nnom",
    products: [
        .library(name: "NNoM", targets: ["NNoM"]),
        .library(name: "NNoMRuntime", targets: ["NNoMRuntime"]),
        .executable(name: "nnom", targets: ["nnom-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries used by the host tools; cflags and libs come from pkg-config.
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CLibZip", path: "Sources/CNNoM/CLibZip", pkgConfig: "libzip",
                       providers: [.apt(["libzip-dev"])]),
        .systemLibrary(name: "CcJSON", path: "Sources/CNNoM/CcJSON", pkgConfig: "libcjson",
                       providers: [.apt(["libcjson-dev"])]),
        // The C runtime alone (the folders CMakeLists.txt globs): all an app that only runs .nnom files needs.
        .target(
            name: "CNNoMRuntime",
            path: ".",
            // kernels/arm/*.c are Cortex-M twins #included by the portable kernels; CMake does not compile them either
            exclude: ["Sources/nnom/kernels/arm"],
            sources: ["Sources/nnom"],
            publicHeadersPath: "include",
            cSettings: [.headerSearchPath("Sources/nnom")],
            linkerSettings: [.linkedLibrary("m")]
        ),
        // The host tools: Keras reader, quantiser, writers, NumPy files (HDF5, libzip, cJSON).
        .target(
            name: "CNNoM",
            dependencies: ["CNNoMRuntime", "CHDF5", "CLibZip", "CcJSON"],
            path: "Sources/nnom_tools",
            exclude: [],
            publicHeadersPath: "swift",
            cSettings: [
                .headerSearchPath("."),
                .headerSearchPath("../nnom"),
                .define("NNOM_HAS_TOOLS", to: "1"),
            ]
        ),
        .target(name: "NNoMRuntime", dependencies: ["CNNoMRuntime"], path: "Sources/NNoMRuntime"),
        .target(name: "NNoM", dependencies: ["NNoMRuntime", "CNNoM"], path: "Sources/NNoM"),
        .executableTarget(
            name: "nnom-cli",
            dependencies: ["NNoM", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/nnom-cli"
        ),
        .testTarget(name: "NNoMTests", dependencies: ["NNoM", "CNNoM"], path: "Tests/NNoMTests"),
        // depends on the runtime product alone: proves it needs no host library
        .testTarget(name: "NNoMRuntimeTests", dependencies: ["NNoMRuntime", "CNNoMRuntime"], path: "Tests/NNoMRuntimeTests"),
    ],
    cLanguageStandard: .c99
)
