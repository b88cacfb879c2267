/// The settings of one training run, as `workbench train` was given them (defaults filled in): what `run.json`
/// records so a run can be understood, repeated and resumed.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// The data folder as given (with `train/` and `val/`, or one ImageFolder split by ``validationSplit``).
    public var data: String
    /// The fraction of the images held out for validation when the folder has no `val/` (nil: `val/` is used).
    public var validationSplit: Double?
    /// What is trained: `feature-extract`, `feature-extract-eval`, `last:K` or `fine-tune`.
    public var strategy: String
    public var epochs: Int
    public var batchSize: Int
    /// The head's learning rate.
    public var lr: Double
    /// The pretrained backbone's learning rate (discriminative fine-tuning); nil: the same as ``lr``.
    public var backboneLR: Double?
    public var momentum: Double
    public var weightDecay: Double
    /// `sgd`, `adam` or `adamw`.
    public var optimizer: String
    /// `none`, `step` or `cosine` (`StepLR(step_size: lrStepSize, gamma: lrGamma)`,
    /// `CosineAnnealingLR(T_max: epochs, eta_min: lrMin)`, stepped once per epoch).
    public var schedule: String
    /// The step schedule's epochs between decays and its factor (`--lr-step-size`, `--lr-gamma`).
    public var lrStepSize: Int
    public var lrGamma: Double
    /// The cosine schedule's lowest learning rate (`--lr-min`).
    public var lrMin: Double
    /// Random resized crop and horizontal flip on the training images.
    public var augment: Bool
    public var seed: UInt64
    /// Epochs without a better validation result before stopping; nil: never stop early.
    public var patience: Int?
    /// Images that cannot be decoded are left out with a warning instead of stopping the run.
    public var skipBadFiles: Bool

    public init(
        data: String, validationSplit: Double? = nil, strategy: String, epochs: Int, batchSize: Int, lr: Double,
        backboneLR: Double? = nil, momentum: Double, weightDecay: Double, optimizer: String, schedule: String,
        lrStepSize: Int = 7, lrGamma: Double = 0.1, lrMin: Double = 0, augment: Bool, seed: UInt64,
        patience: Int? = nil, skipBadFiles: Bool = false
    ) {
        self.data = data
        self.validationSplit = validationSplit
        self.strategy = strategy
        self.epochs = epochs
        self.batchSize = batchSize
        self.lr = lr
        self.backboneLR = backboneLR
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.optimizer = optimizer
        self.schedule = schedule
        self.lrStepSize = lrStepSize
        self.lrGamma = lrGamma
        self.lrMin = lrMin
        self.augment = augment
        self.seed = seed
        self.patience = patience
        self.skipBadFiles = skipBadFiles
    }
}
