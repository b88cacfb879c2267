import Foundation
import Vision

/// The images a run trains and validates on, found in `--data DIR` as torchvision's reference scripts expect them
/// (`DIR/train/<class>/...` and `DIR/val/<class>/...`), or split from one ImageFolder by ``ValidationSplit``.
///
/// The classes are the training folder's, sorted by code point as ImageFolder sorts them; the validation images
/// are labelled by the same numbering, so a class missing from `val/` shifts no label (it is reported in
/// ``warnings``), while a class only in `val/` is an error.
public struct TrainingData {
    public let train: ImageFolder
    public let validation: ImageFolder
    /// The split, when the validation images were held out of one folder.
    public let split: ValidationSplit?
    /// Things worth telling the user that do not stop training (classes without validation images).
    public let warnings: [String]

    public var classes: [String] { train.classes }

    /// Finds the data in `folder`.
    ///
    /// - Parameters:
    ///   - validationSplit: hold out this fraction of the images (of `folder/train` if it exists, else of
    ///     `folder`) instead of reading `folder/val`.
    ///   - seed: the split's seed.
    /// - Throws: ``TrainingError`` naming the folder for a layout that does not fit; ``VisionError`` naming the
    ///   empty class folders.
    public init(folder: String, validationSplit: Double?, seed: UInt64) throws {
        let trainFolder = ImageFolder.joined(folder, "train")
        let validationFolder = ImageFolder.joined(folder, "val")
        let hasTrain = TrainingData.isDirectory(trainFolder)
        let hasValidation = TrainingData.isDirectory(validationFolder)
        guard TrainingData.isDirectory(folder) else {
            throw TrainingError.dataLayout(path: folder, reason: "no such folder (--data)")
        }
        var warnings: [String] = []
        if let fraction = validationSplit {
            if hasValidation {
                throw TrainingError.dataLayout(
                    path: validationFolder,
                    reason: "this validation folder exists, and --val-split \(fraction) would ignore it; "
                        + "leave --val-split out to validate on it")
            }
            let whole = try ImageFolder(root: hasTrain ? trainFolder : folder)
            let (split, train, validation) = ValidationSplit.make(whole, fraction: fraction, seed: seed)
            let unsplit = whole.classes.enumerated().filter { index, _ in
                !validation.samples.contains { $0.classIndex == index }
            }
            for (_, name) in unsplit {
                warnings.append(
                    "class '\(name)' has a single image, so it is trained on and never validated (--val-split)")
            }
            (self.train, self.validation, self.split) = (train, validation, split)
        } else {
            guard hasTrain, hasValidation else {
                let missing = hasTrain ? validationFolder : trainFolder
                throw TrainingError.dataLayout(
                    path: folder,
                    reason: "\(missing) does not exist: give the data as train/<class>/... and val/<class>/..., "
                        + "or hold out part of one ImageFolder with --val-split 0.2")
            }
            let train = try ImageFolder(root: trainFolder)
            let validation = try ImageFolder(root: validationFolder)
            let onlyInValidation = validation.classes.filter { train.classToIndex[$0] == nil }
            guard onlyInValidation.isEmpty, let relabeled = validation.relabeled(as: train.classes) else {
                throw TrainingError.classesOnlyInValidation(
                    validation: validationFolder, train: trainFolder, classes: onlyInValidation)
            }
            for name in train.classes where validation.classToIndex[name] == nil {
                warnings.append("class '\(name)' has no folder in \(validationFolder), so it is never validated")
            }
            (self.train, self.validation, self.split) = (train, relabeled, nil)
        }
        self.warnings = warnings
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(
            atPath: NSString(string: path).expandingTildeInPath, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }
}

extension ImageFolder {
    /// `folder/name`.
    static func joined(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
