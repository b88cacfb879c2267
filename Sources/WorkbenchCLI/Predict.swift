import ArgumentParser
import Foundation
import Training

/// `workbench predict RUN_DIR IMAGE...`: the top classes of each image with their probabilities.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the classes of images with a trained model: top-k names and softmax probabilities.",
        discussion: """
            SOURCE is a run folder or a bare checkpoint (as for `workbench evaluate`). Each image is decoded as \
            ImageFolder decodes it (grayscale and palette images become RGB, alpha is dropped), prepared with the \
            model's evaluation transform and classified in eval mode without autograd. An image that cannot be \
            read is reported by name and the others are still predicted; the exit status is then 1.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "A run folder, or a .pth/.safetensors checkpoint.", completion: .file())
    var source: String

    @Argument(help: "Image files.", completion: .file())
    var images: [String]

    @Option(help: "How many classes to list per image (default: 5, or the class count if smaller).")
    var topK: Int?

    @Option(help: "text or json.") var format: Format = .text

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if let topK { try require(topK, atLeast: 1, flag: "--top-k") }
        guard !images.isEmpty else { throw ValidationError("name at least one image file after SOURCE") }
    }

    func run() throws {
        let failed = try withTerminalSafeErrors { () -> Bool in
            let trained = try modelOptions.load(source)
            let k = topK ?? min(5, trained.classes.count)
            guard k <= trained.classes.count else {
                throw ValidationError("--top-k \(k) is more than the model's \(trained.classes.count) classes")
            }
            let results = ImagePrediction.predict(
                trained.model, paths: images, classes: trained.classes,
                transform: trained.preprocessing.evaluationTransform, k: k)
            var failures: [(path: String, error: String)] = []
            var predictions: [ImagePrediction] = []
            for (path, result) in zip(images, results) {
                switch result {
                case let .success(prediction): predictions.append(prediction)
                case let .failure(error): failures.append((path, "\(error)"))
                }
            }
            for failure in failures {
                FileHandle.standardError.write(Data("error: \(TerminalText.escaped(failure.error))\n".utf8))
            }
            switch format {
            case .json:
                let document = PredictDocument(
                    model: trained.checkpointPath, predictions: predictions,
                    errors: failures.map { .init(path: $0.path, error: $0.error) })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(document), as: UTF8.self))
            case .text:
                for prediction in predictions {
                    print(TerminalText.escaped(prediction.path))
                    let width = prediction.top.map { TerminalText.escaped($0.name).count }.max() ?? 0
                    for (rank, entry) in prediction.top.enumerated() {
                        print(
                            "  \(rank + 1). \(TerminalText.padded(entry.name, to: width))  "
                                + String(format: "%.4f", entry.probability))
                    }
                }
                if !failures.isEmpty {
                    print("\(failures.count) of \(images.count) image(s) could not be predicted (see the errors above)")
                }
            }
            return !failures.isEmpty
        }
        if failed { throw ExitCode(1) }
    }
}

/// What `predict --format json` prints.
struct PredictDocument: Encodable {
    struct Failure: Encodable {
        let path: String
        let error: String
    }

    let model: String
    let predictions: [ImagePrediction]
    let errors: [Failure]
}
