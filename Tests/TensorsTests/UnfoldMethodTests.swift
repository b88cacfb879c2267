import Kernels
import Testing

/// The two ways im2col and col2im walk the input (``UnfoldMethod``) give the same values bit for bit: the table
/// path (small planes, `tl_im2col_table` in C) against the padded-copy path, over kernel sizes, strides, padding,
/// dilation, batches, channel offsets and planes from 1x1 up. Both are copies (im2col) or the same additions in
/// the same order (col2im), so no tolerance applies.
@Suite("im2col and col2im: the offset-table path equals the padded-copy path exactly")
struct UnfoldMethodTests {
    static let geometries: [ConvGeometry] = [
        // layer4 at 32x32 (2x2 -> 1x1), layer3/4 at 64x64, a 7x7 stem-like kernel, dilation, uneven strides.
        ConvGeometry(
            batch: 3, inChannels: 5, height: 2, width: 2, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
            strideH: 2, strideW: 2, padH: 1, padW: 1),
        ConvGeometry(
            batch: 2, inChannels: 4, height: 4, width: 4, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
            padH: 1, padW: 1),
        ConvGeometry(
            batch: 2, inChannels: 3, height: 9, width: 7, outChannels: 2, kernelHeight: 7, kernelWidth: 7,
            strideH: 2, strideW: 2, padH: 3, padW: 3),
        ConvGeometry(
            batch: 1, inChannels: 3, height: 6, width: 8, outChannels: 2, kernelHeight: 3, kernelWidth: 2,
            strideH: 1, strideW: 3, padH: 2, padW: 1, dilationH: 2, dilationW: 1),
        ConvGeometry(
            batch: 2, inChannels: 6, height: 5, width: 5, outChannels: 2, kernelHeight: 1, kernelWidth: 1,
            strideH: 2, strideW: 2),
        ConvGeometry(
            batch: 2, inChannels: 2, height: 12, width: 11, outChannels: 2, kernelHeight: 3, kernelWidth: 3,
            padH: 1, padW: 1),
    ]

    /// Deterministic values that differ everywhere (so a wrong offset shows).
    static func values(_ count: Int, seed: Float) -> [Float] {
        (0..<count).map { Float($0 % 97) * 0.37 - seed * Float($0 % 13) }
    }

    @Test("im2col: same columns", arguments: geometries.indices)
    func unfold(_ index: Int) {
        let g = Self.geometries[index]
        let c0 = 1
        let channels = g.inChannels - c0
        let input = Self.values(g.batch * g.inChannels * g.height * g.width, seed: 0.5)
        let count = channels * g.kernelHeight * g.kernelWidth * g.columnCount
        func run(_ method: UnfoldMethod) -> [Float] {
            var out = [Float](repeating: .nan, count: count)
            input.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { out in
                    im2col(
                        x.baseAddress!, geometry: g, firstChannel: c0, channels: channels, into: out.baseAddress!,
                        method: method)
                }
            }
            return out
        }
        let (padded, table) = (run(.padded), run(.table))
        #expect(padded.map(\.bitPattern) == table.map(\.bitPattern), "geometry \(g)")
        #expect(table.allSatisfy { !$0.isNaN }, "every column value written, geometry \(g)")
    }

    @Test("col2im: same sums", arguments: geometries.indices)
    func fold(_ index: Int) {
        let g = Self.geometries[index]
        let c0 = 1
        let channels = g.inChannels - c0
        let columns = Self.values(channels * g.kernelHeight * g.kernelWidth * g.columnCount, seed: 1.25)
        let start = Self.values(g.batch * g.inChannels * g.height * g.width, seed: 2)
        func run(_ method: UnfoldMethod) -> [Float] {
            var out = start
            columns.withUnsafeBufferPointer { cols in
                out.withUnsafeMutableBufferPointer { out in
                    col2im(
                        cols.baseAddress!, geometry: g, firstChannel: c0, channels: channels, into: out.baseAddress!,
                        method: method)
                }
            }
            return out
        }
        let (padded, table) = (run(.padded), run(.table))
        #expect(padded.map(\.bitPattern) == table.map(\.bitPattern), "geometry \(g)")
        #expect(padded != start, "col2im added something, geometry \(g)")
    }
}
