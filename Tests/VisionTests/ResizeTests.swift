import Tensors
import Testing
import Vision

@Suite("Resize and CenterCrop geometry")
struct ResizeTests {
    @Test("Resize(int) sets the shorter side and truncates the longer one as int(size * long / short)")
    func shorterSide() {
        #expect(Resize(30).outputSize(height: 53, width: 37) == (42, 30))
        #expect(Resize(256).outputSize(height: 200, width: 300) == (256, 384))
        #expect(Resize(224).outputSize(height: 333, width: 500) == (224, 336))
        #expect(Resize(10).outputSize(height: 7, width: 7) == (10, 10))
        #expect(Resize(height: 20, width: 90).outputSize(height: 53, width: 37) == (20, 90))
    }

    @Test("a resize to the same size returns the input unchanged")
    func identity() throws {
        let image = Tensor(shape: [1, 2, 3], values: [0, 1, 2, 3, 4, 5])
        #expect(try Resize(height: 2, width: 3)(image) === image)
    }

    @Test("CenterCrop offsets round half to even and count zero padding as negative offsets")
    func centerCropOrigin() {
        #expect(CenterCrop(height: 20, width: 30).origin(height: 53, width: 37) == (16, 4))
        #expect(CenterCrop(24).origin(height: 53, width: 37) == (14, 6))
        #expect(CenterCrop(64).origin(height: 53, width: 37) == (-5, -13))
        #expect(CenterCrop(height: 60, width: 21).origin(height: 53, width: 37) == (-3, 8))
    }

    @Test("transforms name themselves and the shape when given a tensor that is not [C, H, W]")
    func invalidInput() {
        let flat = Tensor.zeros([4, 4])
        #expect(
            throws: VisionError.invalidInput(
                transform: "Resize", shape: [4, 4],
                reason: "expected a non-empty [C, H, W] image tensor")
        ) {
            try Resize(2)(flat)
        }
        #expect(
            throws: VisionError.invalidInput(
                transform: "Normalize", shape: [2, 1, 1],
                reason: "3 means and stds for 2 channels")
        ) {
            try Normalize.imageNet(Tensor.zeros([2, 1, 1]))
        }
    }
}
