import Images
import Tensors
import Testing
import Vision

/// Compose runs exactly the steps it is given, as torchvision's does: nothing is inserted.
@Suite("Compose")
struct ComposeTests {
    static let image = try! Image(width: 2, height: 1, channels: 3, bitDepth: 8, samples: [0, 51, 102, 153, 204, 255])

    @Test("Compose([ToTensor(), Normalize]) on an image equals the two steps applied by hand")
    func toTensorThenNormalize() throws {
        let normalize = Normalize(mean: [0.5], std: [0.25])
        let composed = try Compose([ToTensor(), normalize])(Self.image)
        let byHand = try normalize(ToTensor()(Self.image))
        #expect(composed.shape == [3, 1, 2] && composed.toArray() == byHand.toArray())
    }

    @Test("an image pipeline without ToTensor() first is an error that names the fix")
    func imageWithoutToTensor() {
        #expect { try Compose([Normalize(mean: [0.5], std: [0.25])])(Self.image) } throws: {
            "\($0)".contains("must start with ToTensor()") && "\($0)".contains("Normalize")
        }
        #expect { try Compose([])(Self.image) } throws: { "\($0)".contains("empty") }
    }

    @Test("ToTensor anywhere but first is an error, on images and on tensors")
    func toTensorInTheMiddle() {
        #expect { try Compose([ToTensor(), ToTensor()])(Self.image) } throws: { "\($0)".contains("ToTensor") }
        #expect { try Compose([ToTensor()])(Tensor.zeros([3, 1, 2])) } throws: { "\($0)".contains("decoded image") }
    }
}
