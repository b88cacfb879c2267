import HDF5
import Tensors

extension HDF5Group {
    /// Reads a float32 dataset as a tensor of the stored shape.
    public func readTensor(_ dataset: String, requiresGrad: Bool = false) throws -> Tensor {
        let array = try read(dataset, as: Float.self)
        return Tensor(shape: array.shape, values: array.values, requiresGrad: requiresGrad)
    }
}
