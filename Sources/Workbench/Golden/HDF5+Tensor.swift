import HDF5
import Tensors

extension HDF5Group {
    /// Reads a float32 dataset as a tensor of the stored shape.
    public func readTensor(_ dataset: String, requiresGrad: Bool = false) throws -> Tensor {
        let array = try read(dataset, as: Float.self)
        return Tensor(shape: array.shape, values: array.values, requiresGrad: requiresGrad)
    }

    /// Writes a tensor as a float32 dataset of its shape.
    public func writeTensor(_ dataset: String, _ tensor: Tensor, gzipLevel: Int? = 4) throws {
        try write(dataset, HDF5Array(shape: tensor.shape, values: tensor.toArray()),
                  gzipLevel: tensor.rank == 0 ? nil : gzipLevel)
    }
}
