/// The storages of one torch checkpoint (key -> element type, element count, bytes) and the tensors cut from
/// them. Shared storages are read once; each tensor view becomes its own contiguous copy.
///
/// Nothing is allocated from a number in the file until it has been checked against bytes that exist: a
/// storage's element count against its record, a tensor's extent against its storage, and all tensors together
/// against a budget of ``budgetFactor`` times the file size.
struct TorchStorageTable {
    struct Storage {
        var dtype: CheckpointDType
        var elementCount: Int
        var bytes: UnsafeRawBufferPointer?
    }

    /// Materialised tensors may take at most this many times the file's size (tied weights, shared views).
    static let budgetFactor = 16

    let path: String
    var bigEndian = false
    private(set) var storages: [String: Storage] = [:]
    private var remainingBudget: Int

    init(path: String, fileSize: Int) {
        self.path = path
        let (scaled, overflow) = fileSize.multipliedReportingOverflow(by: Self.budgetFactor)
        self.remainingBudget = overflow ? Int.max : scaled + (1 << 20)
    }

    /// Records a storage named by a persistent id; a key seen before must agree on type and size.
    /// Returns true the first time a key is seen.
    @discardableResult
    mutating func register(_ reference: StorageReference) throws -> Bool {
        if let known = storages[reference.key] {
            guard known.dtype == reference.dtype, known.elementCount == reference.elementCount else {
                throw CheckpointError.invalidStorage(
                    path: path, storage: reference.key,
                    detail: "named as \(known.elementCount) \(known.dtype) elements and again as "
                        + "\(reference.elementCount) \(reference.dtype) elements")
            }
            return false
        }
        storages[reference.key] = Storage(dtype: reference.dtype, elementCount: reference.elementCount)
        return true
    }

    /// Attaches the bytes of storage `key`, which must be exactly its element count times its element size.
    mutating func attach(_ bytes: UnsafeRawBufferPointer, to key: String, record: String) throws {
        guard var storage = storages[key] else {
            throw CheckpointError.invalidStorage(
                path: path, storage: key, detail: "data present but never named in the pickle")
        }
        let (expected, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.elementSize)
        guard !overflow, bytes.count == expected else {
            throw CheckpointError.invalidStorage(
                path: path, storage: key,
                detail: "\(record) holds \(bytes.count) bytes but the pickle declares \(storage.elementCount) "
                    + "\(storage.dtype) elements (\(overflow ? "overflow" : "\(expected) bytes"))")
        }
        storage.bytes = bytes
        storages[key] = storage
    }

    /// The tensor `reference` describes, copied out of its storage in C order.
    mutating func tensor(_ reference: TensorReference, key: String) throws -> CheckpointTensor {
        let view = reference.storage
        guard let storage = storages[view.key], let bytes = storage.bytes else {
            throw CheckpointError.missingRecord(
                path: path, record: "storage '\(view.key)'",
                detail: "tensor '\(key)' uses it but the file holds no data for it")
        }
        let layout = reference.layout
        let count = try checkedExtent(layout, within: view.elementCount, key: key)
        let (outputBytes, overflow) = count.multipliedReportingOverflow(by: storage.dtype.isFloatingPoint ? 4 : 8)
        guard !overflow, outputBytes <= remainingBudget else {
            throw CheckpointError.resourceLimit(
                path: path,
                detail: "tensor '\(key)' would bring the decoded tensors above \(Self.budgetFactor)x the file size")
        }
        remainingBudget -= outputBytes
        let size = storage.dtype.elementSize
        let viewBytes = UnsafeRawBufferPointer(
            rebasing: bytes[(view.elementOffset * size)..<((view.elementOffset + view.elementCount) * size)])
        var values = ElementCodec.decode(
            viewBytes, dtype: storage.dtype, bigEndian: bigEndian, layout: layout,
            count: count)
        if reference.negated {
            switch values {
            case let .float(floats): values = .float(floats.map { -$0 })
            case let .integer(integers): values = .integer(integers.map { 0 &- $0 })
            }
        }
        return CheckpointTensor(shape: layout.shape, dtype: storage.dtype, values: values)
    }

    /// The element count of `layout` after checking that every element it addresses lies inside `elements`
    /// and that it does not address more elements than the storage holds (stride-0 expansions are refused).
    private func checkedExtent(_ layout: StridedLayout, within elements: Int, key: String) throws -> Int {
        var count = 1
        var last = layout.offset
        for (size, stride) in zip(layout.shape, layout.strides) {
            let (product, productOverflow) = count.multipliedReportingOverflow(by: size)
            let (step, stepOverflow) = (max(size, 1) - 1).multipliedReportingOverflow(by: stride)
            let (reach, reachOverflow) = last.addingReportingOverflow(step)
            guard !productOverflow, !stepOverflow, !reachOverflow else {
                throw invalid(key, "size \(layout.shape) with stride \(layout.strides) overflows")
            }
            (count, last) = (product, reach)
        }
        guard count > 0 else { return 0 }
        guard last < elements else {
            throw invalid(
                key,
                "size \(layout.shape), stride \(layout.strides) and offset \(layout.offset) reach "
                    + "element \(last) of a storage with \(elements) elements")
        }
        guard count <= elements else {
            throw invalid(
                key,
                "size \(layout.shape) has \(count) elements but its storage only \(elements) "
                    + "(expanded stride-0 views are not materialised)")
        }
        return count
    }

    private func invalid(_ key: String, _ detail: String) -> CheckpointError {
        .invalidTensor(path: path, key: key, detail: detail)
    }
}
