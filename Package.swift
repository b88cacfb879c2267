// swift-tools-version:6.0
import PackageDescription

/// Every Swift target is compiled in Swift 5 language mode; numeric targets are always optimized
/// for speed because the test suite runs release builds (`swift test -c release`).
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v5),
]

let package = Package(
    name: "TransferLearningWorkbench",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Optim", targets: ["Optim"]),
        .library(name: "HDF5", targets: ["HDF5"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Images", targets: ["Images"]),
        .library(name: "Vision", targets: ["Vision"]),
        .library(name: "Workbench", targets: ["Workbench"]),
        .executable(name: "workbench", targets: ["WorkbenchCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: Layer 1 - system libraries (thin module maps over the C headers)
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),

        // MARK: Layer 2 - kernels: loops over raw Float buffers and BLAS calls
        .target(name: "Kernels", dependencies: ["CBLAS", .target(name: "CMalloc", condition: .when(platforms: [.linux]))], swiftSettings: swiftSettings),

        // MARK: Layer 3 - tensors, autograd and the functional operations (torch.nn.functional)
        .target(name: "Tensors", dependencies: ["Kernels"], swiftSettings: swiftSettings),

        // MARK: Layer 4 - neural-network library: modules, layers, models, optimizers
        .target(name: "NN", dependencies: ["Tensors", "Kernels"], swiftSettings: swiftSettings),
        .target(name: "Optim", dependencies: ["Tensors", "Kernels"], swiftSettings: swiftSettings),

        // MARK: Layer 5 - file formats
        .target(name: "HDF5", dependencies: ["CHDF5"], swiftSettings: swiftSettings),
        .target(name: "Checkpoints", swiftSettings: swiftSettings),
        .target(name: "CPNGCodec", dependencies: ["CPNG"]),
        .target(name: "Images", dependencies: ["CPNGCodec"], swiftSettings: swiftSettings),

        // MARK: Layer 6 - data: ImageFolder, transforms, DataLoader (torchvision.datasets / transforms)
        .target(name: "Vision", dependencies: ["Images", "Tensors", "Kernels"], swiftSettings: swiftSettings),

        // MARK: Layer 7 - workbench: golden comparison, op references, reports
        .target(name: "Workbench", dependencies: ["Tensors", "NN", "Optim", "HDF5", "Vision", "Checkpoints"], swiftSettings: swiftSettings),

        // MARK: Layer 8 - the `workbench` command line
        .executableTarget(
            name: "WorkbenchCLI",
            dependencies: [
                "Workbench", "Kernels", "Tensors", "Checkpoints", "NN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Workbench", "Tensors"], path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "TensorsTests", dependencies: ["TestSupport", "Tensors", "Workbench"], swiftSettings: swiftSettings),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "Workbench"], swiftSettings: swiftSettings),
        .testTarget(name: "OptimTests", dependencies: ["TestSupport", "Optim", "Tensors", "HDF5", "Workbench"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"], swiftSettings: swiftSettings),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "HDF5"], swiftSettings: swiftSettings),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "HDF5"], swiftSettings: swiftSettings),
        .testTarget(name: "VisionTests", dependencies: ["TestSupport", "Vision", "Images", "HDF5", "Workbench"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "WorkbenchTests", dependencies: ["Workbench"], swiftSettings: swiftSettings),
    ]
)
