import Foundation

/// What `workbench evaluate` measured: the scores of a model's predictions on a folder of images, per class and
/// averaged, the confusion matrix, the pairs of classes most often confused, the images with the highest loss, and
/// every image's prediction - the document `RUN_DIR/evaluation.json` holds and the report shows.
///
/// The scores are ``ClassificationMetrics``' (scikit-learn's definitions, `zero_division=0`; averages over the
/// classes present). The JSON has `format` "workbench-evaluation" and a `version`.
public struct Evaluation: Codable, Equatable, Sendable {
    public static let formatName = "workbench-evaluation"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// What was evaluated: the checkpoint, the run folder it belongs to (nil for a bare checkpoint), the model
    /// and the image folder.
    public var source: Source
    /// The class names in the model's output order.
    public var classes: [String]
    /// Images evaluated (skipped files not counted).
    public var images: Int
    /// Files left out because they could not be loaded (with `--skip-bad-files`).
    public var skipped: [String]
    /// Fraction of images predicted right (`accuracy_score`).
    public var accuracy: Double
    /// Mean cross-entropy over the images.
    public var meanLoss: Double
    /// One entry per class, in class order (`precision_recall_fscore_support(average=None)`).
    public var perClass: [ClassScores]
    /// Unweighted means over the classes present (`average="macro"`).
    public var macro: Averages
    /// Means weighted by support (`average="weighted"`).
    public var weighted: Averages
    /// `confusionMatrix[t][p]`: images of class `t` predicted as `p` (sklearn's `confusion_matrix`: rows are the
    /// true classes, columns the predictions).
    public var confusionMatrix: [[Int]]
    /// The largest off-diagonal cells, largest first.
    public var mostConfused: [ConfusedPair]
    /// The images with the highest loss, highest first (ties in file order).
    public var worst: [Sample]
    /// Every image, in the data folder's order.
    public var predictions: [Sample]

    /// Where the evaluated model and images came from.
    public struct Source: Codable, Equatable, Sendable {
        /// The checkpoint file whose weights were evaluated.
        public var checkpoint: String
        /// The run folder, when the model came from one.
        public var run: String?
        /// `resnet18`, `resnet34` or `resnet50`, and the stem width (64 in torchvision).
        public var architecture: String
        public var baseChannels: Int
        /// The image folder evaluated.
        public var data: String
        public var preprocessing: Preprocessing

        public init(
            checkpoint: String, run: String?, architecture: String, baseChannels: Int, data: String,
            preprocessing: Preprocessing
        ) {
            self.checkpoint = checkpoint
            self.run = run
            self.architecture = architecture
            self.baseChannels = baseChannels
            self.data = data
            self.preprocessing = preprocessing
        }
    }

    /// One class's row of the classification report.
    public struct ClassScores: Codable, Equatable, Sendable {
        public var name: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Images of this class.
        public var support: Int
    }

    /// Precision, recall and F1 averaged over classes.
    public struct Averages: Codable, Equatable, Sendable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
    }

    /// `count` images of class `trueClass` predicted as `predictedClass`; `fraction` of that class's images.
    public struct ConfusedPair: Codable, Equatable, Sendable {
        public var trueClass: String
        public var predictedClass: String
        public var count: Int
        public var fraction: Double
    }

    /// One image's prediction, with class names.
    public struct Sample: Codable, Equatable, Sendable {
        public var path: String
        public var trueClass: String
        public var predictedClass: String
        /// `-log p(true class)`.
        public var loss: Double
        /// The softmax probability of the predicted class.
        public var probability: Double
        /// The softmax probability of the true class.
        public var trueProbability: Double
    }

    /// Scores `predictions` of a model whose outputs are `classes`.
    ///
    /// - Parameters:
    ///   - worstCount: how many of the highest-loss images to list in ``worst``.
    ///   - confusedCount: how many off-diagonal cells to list in ``mostConfused``.
    public init(
        source: Source, classes: [String], predictions: [SamplePrediction], skipped: [String] = [],
        worstCount: Int = 12, confusedCount: Int = 10
    ) {
        let metrics = ClassificationMetrics(
            predictions: predictions.map(\.prediction), targets: predictions.map(\.target),
            classCount: classes.count)
        format = Evaluation.formatName
        version = Evaluation.currentVersion
        self.source = source
        self.classes = classes
        images = predictions.count
        self.skipped = skipped
        accuracy = metrics.accuracy
        meanLoss = predictions.isEmpty ? 0 : predictions.map(\.loss).reduce(0, +) / Double(predictions.count)
        let (precision, recall, f1, support) = (metrics.precision, metrics.recall, metrics.f1, metrics.support)
        perClass = classes.indices.map { c in
            ClassScores(
                name: classes[c], precision: precision[c], recall: recall[c], f1: f1[c], support: support[c])
        }
        macro = Averages(precision: metrics.macroPrecision, recall: metrics.macroRecall, f1: metrics.macroF1)
        weighted = Averages(
            precision: metrics.weightedPrecision, recall: metrics.weightedRecall, f1: metrics.weightedF1)
        confusionMatrix = metrics.confusion
        mostConfused = metrics.mostConfused(limit: confusedCount).map { cell in
            ConfusedPair(
                trueClass: classes[cell.trueClass], predictedClass: classes[cell.predictedClass], count: cell.count,
                fraction: Double(cell.count) / Double(support[cell.trueClass]))
        }
        let samples = predictions.map { prediction in
            Sample(
                path: prediction.path, trueClass: classes[prediction.target],
                predictedClass: classes[prediction.prediction], loss: prediction.loss,
                probability: prediction.probability, trueProbability: prediction.targetProbability)
        }
        self.predictions = samples
        worst = samples.enumerated().sorted { a, b in
            a.element.loss != b.element.loss ? a.element.loss > b.element.loss : a.offset < b.offset
        }.prefix(max(worstCount, 0)).map(\.element)
    }

    /// The pretty-printed, key-sorted JSON `evaluation.json` holds (every string escaped by JSON's rules).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self)
    }
}
