// swift-tools-version:5.9
// An app that only runs .nnom models: it depends on the NNoMRuntime product,
// so it builds and links the C runtime alone (no HDF5, libzip or cJSON).
//   swift build --package-path examples/swift-app
//   examples/swift-app/.build/debug/nnom-classify model.nnom 0.0 0.5 ...
import PackageDescription

let package = Package(
    name: "nnom-swift-app",
    dependencies: [.package(name: "nnom", path: "../..")],
    targets: [
        .executableTarget(
            name: "nnom-classify",
            dependencies: [.product(name: "NNoMRuntime", package: "nnom")],
            path: "Sources/nnom-classify"
        ),
    ]
)
