import Foundation
import Golden
import HDF5
import Tensors
import TestSupport
import Testing
import Vision

/// RandomResizedCrop and RandomHorizontalFlip drawing from the portable stream against torchvision's own
/// `get_params` / `forward` fed the same uniforms (transforms.h5 `/random_*`).
@Suite("Random transforms match torchvision on the portable stream")
struct RandomTransformTests {
    static let cropCases: [String] = (try? VisionFixtures.group("random_resized_crop").groupNames()) ?? []

    /// The library's replay (shared with `workbench regress`): boxes, draws taken, and the log of the ratio bounds
    /// within 1 ulp of torch.log.
    @Test(
        "RandomResizedCrop.parameters picks torchvision's box and takes as many draws",
        arguments: RandomTransformTests.cropCases)
    func cropBoxes(_ name: String) throws {
        let result = try VisionFixtures.references.replayCropBoxes(name)
        #expect(result.exactChecks > 2)
        expectPassed(result)
    }

    @Test("RandomHorizontalFlip flips when the draw is below p", arguments: ["p0.5", "p0.3"])
    func flips(_ name: String) throws {
        let result = try VisionFixtures.references.replayFlips(name)
        #expect(result.exactChecks == 2)
        expectPassed(result)
    }

    @Test("Compose([RandomResizedCrop(24), RandomHorizontalFlip()]) reproduces torchvision's images")
    func composeOutputs() throws {
        let result = try VisionFixtures.references.replayRandomCompose()
        #expect(result.comparisons.count == 4)
        expectPassed(result)
    }

    @Test("TransformRandom maps uniforms as torch's uniform_ and as floor(u * n) for integers")
    func drawMapping() {
        let stream = PortableRandom(name: "mapping", seed: 3)
        var random = TransformRandom(stream)
        #expect(random.uniform() == stream.uniform(0))
        #expect(random.uniform(from: 2, to: 6) == stream.uniform(1) * 4 + 2)
        #expect(random.integer(below: 10) == Int(Double(stream.uniform(2)) * 10))
        #expect(random.position == 3)
        var sample = TransformRandom.forSample(index: 4, epoch: 2, seed: 9)
        #expect(sample.uniform() == PortableRandom(name: "transforms epoch 2 sample 4", seed: 9).uniform(0))
    }
}
