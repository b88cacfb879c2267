/// What a classifier said about one image: its class, the class it predicted, the cross-entropy loss and the
/// softmax probabilities that matter for reading the result.
public struct SamplePrediction: Equatable, Sendable {
    /// The image file.
    public var path: String
    /// The index of the image's true class.
    public var target: Int
    /// The index of the highest logit (`logits.argmax(dim=1)`: the first one on ties).
    public var prediction: Int
    /// `cross_entropy(logits, target, reduction="none")` for this image: `-log softmax(logits)[target]`.
    public var loss: Double
    /// The softmax probability of the predicted class.
    public var probability: Double
    /// The softmax probability of the true class.
    public var targetProbability: Double

    public init(
        path: String, target: Int, prediction: Int, loss: Double, probability: Double, targetProbability: Double
    ) {
        self.path = path
        self.target = target
        self.prediction = prediction
        self.loss = loss
        self.probability = probability
        self.targetProbability = targetProbability
    }

    /// Whether the prediction is right.
    public var isCorrect: Bool { prediction == target }
}
