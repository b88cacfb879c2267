import Tensors

extension ImageFolder {
    /// The samples at `indices`, in that order, with the same root and classes (`torch.utils.data.Subset`): how a
    /// folder is split into training and validation sets.
    ///
    /// - Precondition: every index is in `0 ..< count`.
    public func subset(_ indices: [Int]) -> ImageFolder {
        require(indices.allSatisfy(samples.indices.contains), "subset indices outside 0..<\(count)")
        return ImageFolder(root: root, classes: classes, samples: indices.map { samples[$0] })
    }

    /// The same samples with their classes numbered as in `classes`, which must hold every class of this folder:
    /// a validation folder that lacks some of the training classes, labelled as the training folder is.
    ///
    /// Returns nil when a class of this folder is not in `classes`.
    public func relabeled(as classes: [String]) -> ImageFolder? {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var relabeled: [Sample] = []
        for sample in samples {
            guard let target = index[self.classes[sample.classIndex]] else { return nil }
            relabeled.append(Sample(path: sample.path, classIndex: target))
        }
        return ImageFolder(root: root, classes: classes, samples: relabeled)
    }

    /// A folder of already scanned samples.
    init(root: String, classes: [String], samples: [Sample]) {
        self.root = root
        self.classes = classes
        classToIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        self.samples = samples
    }
}
