import Testing
import Training

@Suite("Classification metrics")
struct ClassificationMetricsTests {
    @Test("accuracy, per-class and macro precision and recall follow scikit-learn (zero_division=0, present labels)")
    func sklearnDefinitions() {
        // targets 0 0 1 1 2, predictions 0 1 1 1 0; class 3 never occurs and is left out of the macro average.
        let m = ClassificationMetrics(predictions: [0, 1, 1, 1, 0], targets: [0, 0, 1, 1, 2], classCount: 4)
        #expect(m.accuracy == 0.6)
        #expect(m.precision == [0.5, 2.0 / 3.0, 0, 0])
        #expect(m.recall == [0.5, 1, 0, 0])
        #expect(m.presentClasses == [0, 1, 2])
        #expect(abs(m.macroPrecision - (0.5 + 2.0 / 3.0) / 3) < 1e-12)
        #expect(abs(m.macroRecall - 0.5) < 1e-12)
    }

    @Test("F1, support and weighted averages follow scikit-learn (a class never predicted: F1 0)")
    func f1AndWeightedAverages() {
        // targets 0 0 1 1 2, predictions 0 1 1 1 0: precision [1/2, 2/3, 0], recall [1/2, 1, 0].
        let m = ClassificationMetrics(predictions: [0, 1, 1, 1, 0], targets: [0, 0, 1, 1, 2], classCount: 3)
        #expect(m.support == [2, 2, 1])
        #expect(abs(m.f1[0] - 0.5) < 1e-12)
        #expect(abs(m.f1[1] - 0.8) < 1e-12)  // 2 * (2/3) * 1 / (2/3 + 1)
        #expect(m.f1[2] == 0)
        #expect(abs(m.macroF1 - 1.3 / 3) < 1e-12)
        #expect(abs(m.weightedPrecision - (2 * 0.5 + 2 * 2.0 / 3.0) / 5) < 1e-12)
        #expect(abs(m.weightedRecall - m.accuracy) < 1e-12)  // weighted recall is accuracy
        #expect(abs(m.weightedF1 - (2 * 0.5 + 2 * 0.8) / 5) < 1e-12)
    }
}
