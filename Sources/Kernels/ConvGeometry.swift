/// The sizes of one 2-D convolution or pooling window sweep over an NCHW batch.
///
/// Output size per spatial axis: `floor((H + 2p - d(k-1) - 1) / s) + 1`, as in `torch.nn.Conv2d`.
public struct ConvGeometry: Hashable, Sendable {
    public var batch: Int
    public var inChannels: Int
    public var height: Int
    public var width: Int
    public var outChannels: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideH: Int
    public var strideW: Int
    public var padH: Int
    public var padW: Int
    public var dilationH: Int
    public var dilationW: Int
    public var groups: Int

    public init(
        batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
        kernelHeight: Int, kernelWidth: Int, strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0,
        dilationH: Int = 1, dilationW: Int = 1, groups: Int = 1
    ) {
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.groups = groups
    }

    /// 0 when the dilated kernel does not fit the padded input (the numerator is negative: no floor-toward-zero
    /// rounding may turn that into a 1-pixel output).
    public var outHeight: Int { ConvGeometry.outputSize(height, padH, dilationH, kernelHeight, strideH) }
    public var outWidth: Int { ConvGeometry.outputSize(width, padW, dilationW, kernelWidth, strideW) }

    static func outputSize(_ size: Int, _ pad: Int, _ dilation: Int, _ kernel: Int, _ stride: Int) -> Int {
        let span = size + 2 * pad - dilation * (kernel - 1) - 1
        return span < 0 ? 0 : span / stride + 1
    }
    /// Input channels seen by one group.
    public var groupInChannels: Int { inChannels / groups }
    /// Output channels produced by one group.
    public var groupOutChannels: Int { outChannels / groups }
    /// Rows of one group's im2col matrix: `C/groups * kh * kw`.
    public var columnRows: Int { groupInChannels * kernelHeight * kernelWidth }
    /// Output pixels per image: `Ho * Wo`.
    public var outPlane: Int { outHeight * outWidth }
    /// Columns of the im2col matrix over the whole batch: `N * Ho * Wo`.
    public var columnCount: Int { batch * outPlane }
    /// Multiply-accumulates of the forward pass.
    public var forwardMACs: Int { batch * outChannels * outPlane * columnRows }

    /// True when the convolution reads every input pixel exactly once, in order (1x1, stride 1, no padding):
    /// then the input itself is the im2col matrix of each image.
    public var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
}
