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

    @Test(
        "RandomResizedCrop.parameters picks torchvision's box and takes as many draws",
        arguments: RandomTransformTests.cropCases)
    func cropBoxes(_ name: String) throws {
        let group = try VisionFixtures.group("random_resized_crop/" + name)
        let (height, width) = (try group.int("height"), try group.int("width"))
        let scale = try group.double("scale_min")...group.double("scale_max")
        let ratio = try group.double("ratio_min")...group.double("ratio_max")
        let prefix = try group.string("stream_prefix")
        let seed = UInt64(try group.int("seed"))
        let boxes = try VisionFixtures.integers(group, "boxes")
        let draws = try VisionFixtures.integers(group, "draws")
        try #require(boxes.count == 4 * draws.count && !draws.isEmpty)
        for k in 0..<draws.count {
            var random = TransformRandom(name: "\(prefix)/\(k)", seed: seed)
            let box = RandomResizedCrop.parameters(
                height: height, width: width, scale: scale, ratio: ratio,
                random: &random)
            let expected = CropBox(
                top: boxes[4 * k], left: boxes[4 * k + 1], height: boxes[4 * k + 2],
                width: boxes[4 * k + 3])
            #expect(box == expected, "\(name) sample \(k) (stream \(prefix)/\(k))")
            #expect(random.position == draws[k], "\(name) sample \(k): draws taken")
        }
    }

    /// torch.log runs PyTorch's own vectorized logf (1-ulp accurate) even on two elements, Swift the correctly rounded
    /// libm logf: log(Float(3/4)) differs in the last bit. The boxes above agree all the same, because a 1-ulp
    /// change of a ratio bound moves a box only when `sqrt(area * ratio)` lands within an ulp of a half-integer.
    @Test(
        "log of the ratio bounds is within 1 ulp of torch.log(torch.tensor(ratio))",
        arguments: RandomTransformTests.cropCases)
    func logRatio(_ name: String) throws {
        let group = try VisionFixtures.group("random_resized_crop/" + name)
        let expected = try group.read("log_ratio", as: Float.self).values
        let actual = [log(Float(try group.double("ratio_min"))), log(Float(try group.double("ratio_max")))]
        for (a, e) in zip(actual, expected) {
            #expect(abs(Int64(a.bitPattern) - Int64(e.bitPattern)) <= 1, "\(name): \(a) vs torch \(e)")
        }
    }

    @Test("RandomHorizontalFlip flips when the draw is below p", arguments: ["p0.5", "p0.3"])
    func flips(_ name: String) throws {
        let group = try VisionFixtures.group("random_horizontal_flip/" + name)
        let flip = RandomHorizontalFlip(p: try group.double("p"))
        var random = TransformRandom(name: try group.string("stream"), seed: UInt64(try group.int("seed")))
        let image = Tensor(shape: [1, 1, 2], values: [0, 1])
        let decisions = try (0..<64).map { _ in try flip(image, random: &random).toArray()[0] == 1 ? 1 : 0 }
        #expect(decisions == (try VisionFixtures.integers(group, "flips")))
        #expect(random.position == 64)
    }

    @Test("Compose([RandomResizedCrop(24), RandomHorizontalFlip()]) reproduces torchvision's images")
    func composeOutputs() throws {
        let group = try VisionFixtures.group("random_compose")
        let input = try VisionFixtures.input(try group.string("input"))
        let outputs = try VisionFixtures.tensor(group, "outputs")
        let pipeline = Compose([RandomResizedCrop(24), RandomHorizontalFlip()])
        let size = 3 * 24 * 24
        for k in 0..<outputs.shape[0] {
            var random = TransformRandom(name: "random_compose/\(k)", seed: UInt64(try group.int("seed")))
            let expected = Tensor(shape: [3, 24, 24], values: Array(outputs.toArray()[(k * size)..<((k + 1) * size)]))
            expectClose(
                try pipeline(input, random: &random), expected, "random_compose/\(k)",
                tolerance: VisionTolerance.resampled)
        }
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
