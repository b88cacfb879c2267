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

    /// The library's replay (shared with `workbench regress`).
    @Test(
        "transform output equals torchvision's within the documented tolerance",
        arguments: TransformReferenceTests.caseNames)
    func matchesTorchvision(_ name: String) throws {
        let result = try VisionFixtures.references.replayCase(name)
        #expect(result.comparisons.count == 1)
        expectPassed(result)
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
}
