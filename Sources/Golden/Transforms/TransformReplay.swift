import Foundation
import HDF5
import Images
import Tensors
import Vision

/// Replays `Fixtures/references/transforms.h5` (written by `generate_references.py transforms`; schema:
/// Fixtures/references/TRANSFORMS.md): every deterministic transform against torchvision's output on the same PNG
/// (`/cases`), `RandomResizedCrop.get_params` and `RandomHorizontalFlip` on the portable stream
/// (`/random_resized_crop`, `/random_horizontal_flip`), and the random `Compose` (`/random_compose`).
public struct TransformReferenceFile {
    /// The default location, relative to the package root.
    public static let defaultRelativePath = "Fixtures/references/transforms.h5"

    public let path: String
    /// The package root the cases' `input` paths are relative to.
    public let root: URL
    let file: HDF5File
    public let caseNames: [String]
    public let cropCaseNames: [String]
    public let flipCaseNames: [String]

    public init(path: String, root: URL) throws {
        self.path = path
        self.root = root
        file = try HDF5File(path: path)
        for group in ["cases", "random_resized_crop", "random_horizontal_flip", "random_compose"]
        where !file.root.contains(group) {
            throw OptimReferenceError.missingGroup(source: path, name: group)
        }
        caseNames = try file.root.group("cases").groupNames()
        cropCaseNames = try file.root.group("random_resized_crop").groupNames()
        flipCaseNames = try file.root.group("random_horizontal_flip").groupNames()
    }

    func group(_ name: String) throws -> (HDF5Group, AttributeReader) {
        guard file.root.contains(name) else { throw OptimReferenceError.missingGroup(source: path, name: name) }
        let group = try file.root.group(name)
        return (group, try AttributeReader(group))
    }

    func input(_ relativePath: String, mode: ImageReadMode = .rgb) throws -> Image {
        try PNG.read(path: root.appendingPathComponent(relativePath).path, mode: mode)
    }

    /// Every case of the file, named `cases/<name>`, `random_resized_crop/<name>`, ... as the file's groups.
    public func replayAll() -> [(name: String, result: Result<ReplayResult, Error>)] {
        caseNames.map { name in ("cases/\(name)", Result { try replayCase(name) }) }
            + cropCaseNames.map { name in ("random_resized_crop/\(name)", Result { try replayCropBoxes(name) }) }
            + flipCaseNames.map { name in ("random_horizontal_flip/\(name)", Result { try replayFlips(name) }) }
            + [("random_compose", Result { try replayRandomCompose() })]
    }

    /// A deterministic case: the Swift transform on the same input, compared with torchvision's output.
    public func replayCase(_ name: String) throws -> ReplayResult {
        let (group, attributes) = try self.group("cases/" + name)
        let kind = try attributes.string("transform")
        let expected = try group.readTensor("output")
        let actual: Tensor
        if kind == "preset" {
            let preset = ImageClassification(
                cropSize: try attributes.int("crop"), resizeSize: try attributes.int("resize"),
                mean: try attributes.doubles("mean").map { Float($0) },
                std: try attributes.doubles("std").map { Float($0) })
            actual = try preset(try input(try attributes.string("input")))
        } else {
            let transform = try self.transform(kind, attributes)
            let image = ToTensor()(try input(try attributes.string("input")))
            actual = try transform(image)
        }
        var result = ReplayResult()
        result.compare(name, actual, expected, tolerance: TransformTolerances.forCase(kind))
        return result
    }

    /// The Swift transform a case describes (ToTensor is the identity on the already converted input).
    func transform(_ kind: String, _ attributes: AttributeReader) throws -> any Transform {
        switch kind {
        case "to_tensor":
            return Compose([])
        case "resize":
            let size = try attributes.ints("size")
            let antialias = try attributes.int("antialias") != 0
            switch size.count {
            case 1: return Resize(size[0], antialias: antialias)
            case 2: return Resize(height: size[0], width: size[1], antialias: antialias)
            default:
                throw OptimReferenceError.malformed(
                    source: attributes.source, detail: "size \(size) is not [s] or [h, w]")
            }
        case "center_crop":
            let size = try attributes.ints("size")
            guard size.count == 2 else {
                throw OptimReferenceError.malformed(source: attributes.source, detail: "size \(size) is not [h, w]")
            }
            return CenterCrop(height: size[0], width: size[1])
        case "normalize":
            return Normalize(
                mean: try attributes.doubles("mean").map { Float($0) },
                std: try attributes.doubles("std").map { Float($0) })
        case "compose":
            return Compose([
                Resize(try attributes.int("resize")), CenterCrop(try attributes.int("crop")),
                Normalize(
                    mean: try attributes.doubles("mean").map { Float($0) },
                    std: try attributes.doubles("std").map { Float($0) }),
            ])
        default:
            throw OptimReferenceError.malformed(source: attributes.source, detail: "unknown transform kind '\(kind)'")
        }
    }

    /// `RandomResizedCrop.parameters` picks torchvision's box and takes as many draws for every sample; and the
    /// log of the ratio bounds is within 1 ulp of `torch.log(torch.tensor(ratio))` (torch.log runs PyTorch's own
    /// vectorized logf, Swift the correctly rounded libm logf; a 1-ulp change of a ratio bound moves a box only when
    /// `sqrt(area * ratio)` lands within an ulp of a half-integer).
    public func replayCropBoxes(_ name: String) throws -> ReplayResult {
        let (group, attributes) = try self.group("random_resized_crop/" + name)
        let (height, width) = (try attributes.int("height"), try attributes.int("width"))
        let (scaleMin, scaleMax) = (
            try attributes.requiredDouble("scale_min"), try attributes.requiredDouble("scale_max")
        )
        let (ratioMin, ratioMax) = (
            try attributes.requiredDouble("ratio_min"), try attributes.requiredDouble("ratio_max")
        )
        guard scaleMin <= scaleMax, ratioMin <= ratioMax else {
            throw OptimReferenceError.malformed(source: attributes.source, detail: "scale or ratio bounds are reversed")
        }
        let prefix = try attributes.string("stream_prefix")
        let seed = UInt64(truncatingIfNeeded: try attributes.int("seed"))
        let boxes = try group.read("boxes", as: Int64.self).values.map { Int($0) }
        let draws = try group.read("draws", as: Int64.self).values.map { Int($0) }
        guard boxes.count == 4 * draws.count, !draws.isEmpty else {
            throw OptimReferenceError.malformed(
                source: attributes.source, detail: "\(boxes.count) box values for \(draws.count) samples")
        }
        var result = ReplayResult()
        for k in 0..<draws.count {
            var random = TransformRandom(name: "\(prefix)/\(k)", seed: seed)
            let box = RandomResizedCrop.parameters(
                height: height, width: width, scale: scaleMin...scaleMax, ratio: ratioMin...ratioMax, random: &random)
            let expected = CropBox(
                top: boxes[4 * k], left: boxes[4 * k + 1], height: boxes[4 * k + 2], width: boxes[4 * k + 3])
            result.expectEqual(box, expected, "\(name) sample \(k) (stream \(prefix)/\(k)) box")
            result.expectEqual(random.position, draws[k], "\(name) sample \(k): draws taken")
        }
        let logRatio = try group.read("log_ratio", as: Float.self).values
        for (a, e) in zip([log(Float(ratioMin)), log(Float(ratioMax))], logRatio) {
            result.check(
                abs(Int64(a.bitPattern) - Int64(e.bitPattern)) <= 1,
                "\(name): log of a ratio bound \(a) is more than 1 ulp from torch's \(e)")
        }
        return result
    }

    /// 64 successive `RandomHorizontalFlip(p)` calls on one stream flip exactly when torchvision's did.
    public func replayFlips(_ name: String) throws -> ReplayResult {
        let (group, attributes) = try self.group("random_horizontal_flip/" + name)
        let expected = try group.read("flips", as: Int64.self).values.map { Int($0) }
        let flip = RandomHorizontalFlip(p: try attributes.requiredDouble("p"))
        var random = TransformRandom(
            name: try attributes.string("stream"), seed: UInt64(truncatingIfNeeded: try attributes.int("seed")))
        let image = Tensor(shape: [1, 1, 2], values: [0, 1])
        let decisions = try expected.indices.map { _ in try flip(image, random: &random).toArray()[0] == 1 ? 1 : 0 }
        var result = ReplayResult()
        result.expectEqual(decisions, expected, "\(name) flip decisions")
        result.expectEqual(random.position, expected.count, "\(name) draws taken")
        return result
    }

    /// `Compose([RandomResizedCrop(24), RandomHorizontalFlip()])` reproduces torchvision's images.
    public func replayRandomCompose() throws -> ReplayResult {
        let (group, attributes) = try self.group("random_compose")
        let image = ToTensor()(try input(try attributes.string("input")))
        let outputs = try group.readTensor("outputs")
        guard outputs.shape.count == 4, outputs.shape.dropFirst() == [3, 24, 24] else {
            throw OptimReferenceError.malformed(
                source: attributes.source, detail: "outputs has shape \(outputs.shape), expected [k, 3, 24, 24]")
        }
        let pipeline = Compose([RandomResizedCrop(24), RandomHorizontalFlip()])
        let seed = UInt64(truncatingIfNeeded: try attributes.int("seed"))
        var result = ReplayResult()
        for k in 0..<outputs.shape[0] {
            var random = TransformRandom(name: "random_compose/\(k)", seed: seed)
            result.compare(
                "random_compose/\(k)", try pipeline(image, random: &random), outputs.stackedRow(k),
                tolerance: TransformTolerances.resampled)
        }
        return result
    }
}
