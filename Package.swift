// swift-tools-version:6.0
import PackageDescription

/// Every Swift target is compiled in Swift 5 language mode. Nothing here forces optimisation: numeric Swift is
/// 10-100x slower unoptimised, so the README's commands (and the test suite) use release builds (`-c release`).
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v5),
]

/// The lessons, in order: Lessons/<id>/ holds README.md, <Name>+Steps.swift (the runnable steps),
/// <Name>+Checks.swift (the grader's checks), Driver.swift and Exercise/ (built only by the grader);
/// Lessons/Solutions and Lessons/Templates hold the reference solutions and the starting state.
let lessonIDs = ["01-load", "02-freeze", "03-customize", "04-train", "05-evaluate", "06-why-transfer"]
let lessonFilesBuiltByTheGrader = ["README.md", "Solutions", "Templates"]
    + lessonIDs.flatMap { ["\($0)/README.md", "\($0)/Exercise", "\($0)/Driver.swift"] }

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
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Golden", targets: ["Golden"]),
        .library(name: "Benchmarks", targets: ["Benchmarks"]),
        .library(name: "ExerciseSupport", targets: ["ExerciseSupport"]),
        .library(name: "Grading", targets: ["Grading"]),
        .library(name: "Lessons", targets: ["Lessons"]),
        .executable(name: "workbench", targets: ["WorkbenchCLI"]),
        .executable(name: "workbench-fuzz", targets: ["FuzzDriver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
    ],
    targets: [
        // MARK: Layer 1 - system libraries (thin module maps over the C headers)
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // oneDNN (Debian's libdnnl-dev ships no pkg-config file: the module map links `dnnl` by name).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // MARK: Layer 2 - kernels: loops over raw Float buffers and BLAS calls
        // Element-wise and batch-norm inner loops in C, cloned per instruction set (target_clones) and dispatched at load.
        .target(name: "CKernels"),
        .target(name: "Kernels",
                dependencies: ["CBLAS", "CDNNL", "CKernels", .target(name: "CMalloc", condition: .when(platforms: [.linux]))],
                swiftSettings: swiftSettings),

        // MARK: Layer 3 - tensors, autograd and the functional operations (torch.nn.functional)
        .target(name: "Tensors", dependencies: ["Kernels"], swiftSettings: swiftSettings),

        // MARK: Layer 4 - neural-network library: modules, layers, models, optimizers
        .target(name: "NN", dependencies: ["Tensors", "Kernels"], swiftSettings: swiftSettings),
        .target(name: "Optim", dependencies: ["Tensors", "Kernels"], swiftSettings: swiftSettings),

        // MARK: Layer 5 - file formats
        .target(name: "HDF5", dependencies: ["CHDF5"], swiftSettings: swiftSettings),
        .target(name: "Checkpoints", swiftSettings: swiftSettings),
        .target(name: "CPNGCodec", dependencies: ["CPNG"]),
        .target(name: "CJPEGCodec", dependencies: ["CJPEG"]),
        .target(name: "Images", dependencies: ["CPNGCodec", "CJPEGCodec"], swiftSettings: swiftSettings),

        // MARK: Layer 6 - data: ImageFolder, transforms, DataLoader (torchvision.datasets / transforms)
        .target(name: "Vision", dependencies: ["Images", "Tensors", "Kernels"], swiftSettings: swiftSettings),

        // MARK: Layer 7 - product libraries, one per concern, each importable alone
        // Training: the trainer over any Module/Optimizer/loader, evaluation and metrics, the transfer experiment,
        // checkpoints into modules - what a user who loads a .pth and fine-tunes imports.
        .target(name: "Training", dependencies: ["Tensors", "NN", "Optim", "Vision", "Checkpoints"],
                swiftSettings: swiftSettings),
        // Golden: tensor comparison, tolerances with reasons, op-reference and trace replay against PyTorch.
        // It replays every family of stored references (ops, optimizers, schedules, transforms, images,
        // checkpoints, traces), for the tests and for `workbench regress` alike.
        .target(name: "Golden",
                dependencies: ["Kernels", "Tensors", "NN", "Optim", "HDF5", "Vision", "Images", "Checkpoints"],
                swiftSettings: swiftSettings),
        // Benchmarks: model, convolution and data-loader timings beside the PyTorch scripts in Fixtures/.
        .target(name: "Benchmarks", dependencies: ["Kernels", "Tensors", "NN", "Optim", "Vision", "Images", "Golden"],
                swiftSettings: swiftSettings),

        // Grading: builds a learner's exercise apart from the workbench, runs each check in its own process under a
        // time limit, scores it and reports it as text, Gradescope JSON or JUnit XML.
        .target(name: "ExerciseSupport", dependencies: ["HDF5", "Tensors"], swiftSettings: swiftSettings),
        .target(name: "Grading", dependencies: [
                    "ExerciseSupport",
                    .product(name: "Subprocess", package: "swift-subprocess"),
                    .product(name: "SystemPackage", package: "swift-system"),
                ], swiftSettings: swiftSettings),
        // Lessons (top-level Lessons/): each lesson's runnable steps and its exercise's checks; the learner's
        // exercise files, the drivers, solutions and templates are built only by the grader.
        .target(name: "Lessons", dependencies: [
                    "Tensors", "NN", "Optim", "HDF5", "Images", "Vision", "Training", "Golden", "Grading",
                    "ExerciseSupport",
                ], path: "Lessons", exclude: lessonFilesBuiltByTheGrader, swiftSettings: swiftSettings),

        // MARK: Layer 8 - the `workbench` command line
        .executableTarget(
            name: "WorkbenchCLI",
            dependencies: [
                "Training", "Golden", "Benchmarks", "Grading", "Lessons", "Kernels", "Tensors", "Checkpoints", "NN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Fuzzing (Fuzz/README.md): one entry point per target over the real readers, the libFuzzer driver
        // (built by Fuzz/run with -sanitize=fuzzer,address) and the regression replay in the test suite.
        .target(name: "FuzzEntryPoints", dependencies: ["Checkpoints", "Golden", "HDF5", "Images", "Vision"],
                path: "Fuzz/EntryPoints", swiftSettings: swiftSettings),
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(name: "FuzzDriver", dependencies: ["FuzzEntryPoints", "CLibFuzzer"], path: "Fuzz/Driver",
                          swiftSettings: swiftSettings),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Golden", "Tensors", "NN", "Optim", "Vision", "Training"],
                path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "TensorsTests", dependencies: ["TestSupport", "Tensors", "Golden"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "NNTests", dependencies: ["TestSupport", "NN", "Tensors", "Kernels", "Golden"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "OptimTests", dependencies: ["TestSupport", "Optim", "Tensors", "HDF5", "Golden"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"], swiftSettings: swiftSettings),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "HDF5", "Golden", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "HDF5", "Golden", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "VisionTests", dependencies: ["TestSupport", "Vision", "Images", "HDF5", "Golden"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "GoldenTests", dependencies: ["Golden", "HDF5", "NN", "Tensors"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "TrainingTests", dependencies: [
                        "TestSupport", "Training", "Golden", "NN", "Tensors", "Checkpoints", "HDF5", "Images", "Vision",
                    ],
                    swiftSettings: swiftSettings),
        .testTarget(name: "WorkbenchCLITests", dependencies: ["Golden", "TestSupport", "Training", "Images"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Golden", "NN", "Tensors", "Kernels"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzEntryPoints", "Images"], swiftSettings: swiftSettings),
        .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Grading", "Golden"],
                    exclude: ["Mutants", "Hangs"],
                    swiftSettings: swiftSettings),
    ]
)
