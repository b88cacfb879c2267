import Foundation

/// What a training run records in `RUN_DIR/run.json` (``RunDirectory/manifestPath``): the model, the class names
/// in index order, the preprocessing, every setting it was started with, and each epoch's figures - what
/// `evaluate`, `predict`, `export` and `--resume` read back.
///
/// The file is JSON with `format` "workbench-run" and a `version`; a folder written by another version is refused by
/// name (``RunError/unsupportedVersion(path:found:supported:)``), never half-read.
public struct RunManifest: Codable, Equatable, Sendable {
    /// The `format` value of every run file.
    public static let formatName = "workbench-run"
    /// The `version` this workbench writes and reads.
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// The model as built: torchvision's architecture name, its stem width (torchvision's is 64) and where its
    /// starting weights came from.
    public var model: Model
    /// The class names, sorted as ImageFolder sorts them; class `i` is `classes[i]` and the model's output `i`.
    public var classes: [String]
    public var preprocessing: Preprocessing
    /// The settings the run was started with (the `train` command's options).
    public var options: TrainingOptions
    /// One entry per finished epoch, in order.
    public var epochs: [Epoch]
    /// The epoch whose weights are in ``RunDirectory/bestCheckpointPath`` (highest validation accuracy; the lower
    /// validation loss on ties), nil before the first epoch ends.
    public var best: Int?
    public var status: Status
    /// Why the run stopped when it did not complete: the divergence (epoch, batch, loss), the patience reached.
    public var message: String?
    /// How the validation images were held out of one folder (`--val-split`); nil when the data has `val/`.
    public var split: ValidationSplit?
    /// The number of training and validation images found when the run started.
    public var trainImages: Int?
    public var validationImages: Int?
    /// Images left out because they could not be decoded (`--skip-bad-files`), each once.
    public var skippedFiles: [String]?

    /// The model a run trains.
    public struct Model: Codable, Equatable, Sendable {
        /// `resnet18`, `resnet34` or `resnet50` (``ResNetArchitecture``'s raw values).
        public var architecture: String
        /// The width of the stem and first stage (64 in torchvision; the embedded model's is 12).
        public var baseChannels: Int
        /// The starting weights: "embedded" or the checkpoint's path as given.
        public var weights: String

        public init(architecture: String, baseChannels: Int, weights: String) {
            self.architecture = architecture
            self.baseChannels = baseChannels
            self.weights = weights
        }
    }

    /// One epoch's figures: training over the epoch's batches, validation after it.
    public struct Epoch: Codable, Equatable, Sendable {
        /// 1-based.
        public var epoch: Int
        public var trainLoss: Double
        public var trainAccuracy: Double
        public var validationLoss: Double
        public var validationAccuracy: Double
        /// Each parameter group's learning rate during the epoch (backbone first, then the head, when they differ).
        public var learningRates: [Double]
        public var seconds: Double
        /// Training images per second over the epoch's training pass (loading included).
        public var imagesPerSecond: Double
        /// Seconds of the training pass spent waiting for the data loader (near 0 when loading keeps up).
        public var dataWaitSeconds: Double?
        /// True when the epoch trained fc alone on the frozen backbone's cached features (``FeatureCache``).
        public var cachedFeatures: Bool?

        public init(
            epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double,
            validationAccuracy: Double, learningRates: [Double], seconds: Double, imagesPerSecond: Double,
            dataWaitSeconds: Double? = nil, cachedFeatures: Bool? = nil
        ) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.trainAccuracy = trainAccuracy
            self.validationLoss = validationLoss
            self.validationAccuracy = validationAccuracy
            self.learningRates = learningRates
            self.seconds = seconds
            self.imagesPerSecond = imagesPerSecond
            self.dataWaitSeconds = dataWaitSeconds
            self.cachedFeatures = cachedFeatures
        }
    }

    /// Where a run stands.
    public enum Status: String, Codable, Sendable {
        /// Started, or interrupted: `--resume` continues it.
        case running
        /// Every epoch ran.
        case completed
        /// Validation stopped improving for `patience` epochs.
        case earlyStopped = "early-stopped"
        /// A loss became NaN or infinite; the checkpoints hold the last good state.
        case diverged
    }

    public init(
        model: Model, classes: [String], preprocessing: Preprocessing, options: TrainingOptions,
        epochs: [Epoch] = [], best: Int? = nil, status: Status = .running, message: String? = nil,
        split: ValidationSplit? = nil, trainImages: Int? = nil, validationImages: Int? = nil,
        skippedFiles: [String]? = nil
    ) {
        format = RunManifest.formatName
        version = RunManifest.currentVersion
        self.model = model
        self.classes = classes
        self.preprocessing = preprocessing
        self.options = options
        self.epochs = epochs
        self.best = best
        self.status = status
        self.message = message
        self.split = split
        self.trainImages = trainImages
        self.validationImages = validationImages
        self.skippedFiles = skippedFiles
    }

    /// The manifest as the pretty-printed, key-sorted JSON `run.json` holds.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads `data` (the contents of `path`, which messages name).
    ///
    /// - Throws: ``RunError`` naming `path`: not a run file, another version, or a field missing or mistyped.
    public static func decode(_ data: Data, path: String) throws -> RunManifest {
        let header: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw RunError.malformedManifest(path: path, reason: "not a JSON object")
            }
            header = object
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.malformedManifest(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard header["format"] as? String == formatName else {
            throw RunError.malformedManifest(path: path, reason: "its \"format\" is not \"\(formatName)\"")
        }
        guard let version = header["version"] as? Int else {
            throw RunError.malformedManifest(path: path, reason: "no integer \"version\"")
        }
        guard version == currentVersion else {
            throw RunError.unsupportedVersion(path: path, found: version, supported: currentVersion)
        }
        let decoder = JSONDecoder()
        do {
            return try decoder.decode(RunManifest.self, from: data)
        } catch let error as DecodingError {
            throw RunError.malformedManifest(path: path, reason: RunError.describe(error))
        }
    }
}
