import Golden
import HDF5
import Images
import Tensors
import TestSupport
import Testing
import Vision

/// Every deterministic transform against torchvision's output on the same PNG (transforms.h5 `/cases`).
@Suite("Transforms match torchvision")
struct TransformReferenceTests {
    static let caseNames: [String] = (try? VisionFixtures.group("cases").groupNames()) ?? []

    @Test("the reference file holds every case")
    func caseCount() {
        #expect(TransformReferenceTests.caseNames.count == 23, "\(TransformReferenceTests.caseNames)")
    }

    @Test(
        "transform output equals torchvision's within the documented tolerance",
        arguments: TransformReferenceTests.caseNames)
    func matchesTorchvision(_ name: String) throws {
        let group = try VisionFixtures.group("cases/" + name)
        let kind = try group.string("transform")
        let path = try group.string("input")
        let expected = try VisionFixtures.tensor(group, "output")
        let actual: Tensor
        if kind == "preset" {
            let preset = ImageClassification(
                cropSize: try group.int("crop"), resizeSize: try group.int("resize"),
                mean: try group.floats("mean"), std: try group.floats("std"))
            actual = try preset(try PNG.read(path: PackagePaths.file(path), mode: .rgb))
        } else {
            let transform = try TransformReferenceTests.transform(kind, group)
            let input = try VisionFixtures.input(path)
            actual = try transform(input)
        }
        expectClose(actual, expected, name, tolerance: VisionTolerance.forCase(kind))
    }

    @Test("the preset on a float tensor is Resize, CenterCrop, Normalize; on the image it rounds to integers first")
    func presetPaths() throws {
        let image = try PNG.read(path: PackagePaths.file("Fixtures/testdata/transforms/rgb_300x200.png"))
        let preset = ImageClassification.resnet18ImageNet1kV1
        let float = try preset(ToTensor()(image))
        let composed = try Compose([Resize(256), CenterCrop(224), Normalize.imageNet])(ToTensor()(image))
        #expect(float.shape == [3, 224, 224] && float.toArray() == composed.toArray())
        let halfLevel = Tolerance(
            absolute: 0.5 / 255 / 0.224 + 1e-6, relative: 0,
            reason: "rounding to integers moves a value by at most half a grey level")
        expectClose(try preset(image), float, "preset integer path vs float path", tolerance: halfLevel)
    }

    /// The Swift transform a case describes (ToTensor is the identity on the already converted input).
    static func transform(_ kind: String, _ group: HDF5Group) throws -> any Transform {
        switch kind {
        case "to_tensor":
            return Compose([])
        case "resize":
            let size = try group.ints("size")
            let antialias = try group.int("antialias") != 0
            return size.count == 1
                ? Resize(size[0], antialias: antialias)
                : Resize(height: size[0], width: size[1], antialias: antialias)
        case "center_crop":
            let size = try group.ints("size")
            return CenterCrop(height: size[0], width: size[1])
        case "normalize":
            return Normalize(mean: try group.floats("mean"), std: try group.floats("std"))
        case "compose":
            return Compose([
                Resize(try group.int("resize")), CenterCrop(try group.int("crop")),
                Normalize(mean: try group.floats("mean"), std: try group.floats("std")),
            ])
        default:
            Issue.record("unknown transform kind \(kind) in \(group.path)")
            return Compose([])
        }
    }
}

/// The tolerances of the transform tests, and why each is what it is.
enum VisionTolerance {
    /// Copies, divisions and subtractions in the same order as torchvision give identical floats.
    static let exact = Tolerance.exact

    /// Resizing sums up to 15 products per output and pass in float32. Swift adds them one rounding at a time, in
    /// the order of PyTorch's source; PyTorch's x86-64 build fuses some of those additions into FMA instructions,
    /// so outputs differ by 1-3 ulp. Measured against transforms.h5: max 1.8e-7 on [0, 1] images (Resize), 6.0e-7
    /// after Normalize scales by 1/std (Compose), 0 for the uint8 preset (its rounding to integers absorbs them).
    static let resampled = Tolerance(
        absolute: 1e-6, relative: 1e-6,
        reason: "float32 resize sums; PyTorch fuses some adds into FMA (1-3 ulp)")

    static func forCase(_ kind: String) -> Tolerance {
        switch kind {
        case "resize", "compose", "preset": return resampled
        default: return exact
        }
    }
}
