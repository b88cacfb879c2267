import Foundation

/// The embedded pretrained model and dataset under Fixtures/ (made by `Fixtures/generate_references.py data`,
/// documented in Fixtures/DATA.md): what the lessons and the main job run on, with no download.
public struct EmbeddedFixtures {
    /// The pretrained checkpoint (`torch.save` of a width-scaled torchvision resnet18 trained on digits 0-4).
    public let checkpointPath: String
    /// The target task's ImageFolder trees (digits 5-9): a few labelled shots per class, and the rest to validate.
    public let targetTrain: String
    public let targetValidation: String
    /// The model's stem width (torchvision's is 64) and its pretrained classes.
    public let baseChannels: Int
    public let pretrainedClasses: Int
    /// The side of the square images the model was pretrained on (`input_size` [3, 32, 32]).
    public let inputSize: Int
    /// The normalisation the model was pretrained with (the post: normalise as the pretrained model expects).
    public let mean: [Float]
    public let std: [Float]
    /// PyTorch's results of the same experiment, from the generator.
    public let premisePath: String

    /// Reads the checkpoint's JSON sidecar under `root` (the package root).
    public init(root: String) throws {
        let fixtures = URL(fileURLWithPath: root).appendingPathComponent("Fixtures")
        let checkpoint = fixtures.appendingPathComponent("models/resnet18_w12_digits_source.pth")
        let sidecar = checkpoint.deletingPathExtension().appendingPathExtension("json")
        guard let data = FileManager.default.contents(atPath: sidecar.path),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw FixtureError.unreadable(path: sidecar.path, detail: "missing or not a JSON object")
        }
        func number(_ value: Any?, _ key: String) throws -> Double {
            guard let value = value as? NSNumber else {
                throw FixtureError.unreadable(path: sidecar.path, detail: "no number at '\(key)'")
            }
            return value.doubleValue
        }
        let normalize = json["normalize"] as? [String: Any]
        guard let mean = normalize?["mean"] as? [NSNumber], let std = normalize?["std"] as? [NSNumber] else {
            throw FixtureError.unreadable(path: sidecar.path, detail: "no 'normalize.mean' / 'normalize.std'")
        }
        guard let inputShape = json["input_size"] as? [NSNumber], inputShape.count == 3,
            inputShape[1] == inputShape[2]
        else {
            throw FixtureError.unreadable(path: sidecar.path, detail: "no square 'input_size' [C, H, W]")
        }
        inputSize = inputShape[1].intValue
        checkpointPath = checkpoint.path
        baseChannels = Int(try number(json["base_width"], "base_width"))
        pretrainedClasses = Int(try number(json["num_classes"], "num_classes"))
        self.mean = mean.map { $0.floatValue }
        self.std = std.map { $0.floatValue }
        targetTrain = fixtures.appendingPathComponent("data/target/train").path
        targetValidation = fixtures.appendingPathComponent("data/target/val").path
        premisePath = fixtures.appendingPathComponent("data/premise_pytorch.json").path
    }
}

/// A fixture file that is missing or malformed; names the file.
public enum FixtureError: Error, CustomStringConvertible {
    case unreadable(path: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let detail): return "\(path): \(detail)"
        }
    }
}
