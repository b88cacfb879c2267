import CDNNL
import CKernels

/// The oneDNN objects every primitive shares: the CPU engine, status checks, memory descriptors and reorders.
///
/// Every oneDNN call is made with the calling thread's OpenMP team limited to one thread (``OpenMPThreads``),
/// both when a primitive is created (its JIT kernels bake the thread count in) and when it runs, so the cores are
/// shared out by our own pool (``Parallelism``) alone.
enum OneDNN {
    /// The CPU engine (`dnnl_engine_create(dnnl_cpu, 0)`), created once.
    static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create(cpu, 0)")
        return engine!
    }()

    /// Stops the process with a message naming `what` when oneDNN returns an error: a failed call never leaves a
    /// result behind that could be mistaken for a computed one.
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN: \(what()) failed: \(describe(status))")
    }

    /// oneDNN's status in words (`dnnl_status_t`).
    static func describe(_ status: dnnl_status_t) -> String {
        switch status {
        case dnnl_success: return "success"
        case dnnl_out_of_memory: return "out of memory (status 1)"
        case dnnl_invalid_arguments: return "invalid arguments (status 2)"
        case dnnl_unimplemented: return "unimplemented for these shapes (status 3)"
        case dnnl_iterator_ends: return "iterator ends (status 4)"
        case dnnl_runtime_error: return "runtime error (status 5)"
        case dnnl_not_required: return "not required (status 6)"
        default: return "status \(status.rawValue)"
        }
    }

    /// A `dnnl_dims_t` argument (which C passes as a pointer to its first `Int64`) holding `values`, the rest 0.
    static func dims(_ values: [Int]) -> [Int64] {
        precondition(values.count <= Int(DNNL_MAX_NDIMS), "oneDNN: \(values.count) dimensions exceed DNNL_MAX_NDIMS")
        return values.map(Int64.init) + Array(repeating: 0, count: Int(DNNL_MAX_NDIMS) - values.count)
    }

    /// An f32 memory descriptor of `shape` in the layout `tag` (`dnnl_format_tag_any` lets a primitive choose).
    static func descriptor(_ shape: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims(shape)
        check(
            dnnl_memory_desc_init_by_tag(&md, Int32(shape.count), d, dnnl_f32, tag),
            "memory descriptor of shape \(shape)")
        return md
    }

    /// An f32 memory descriptor of `shape` with explicit element `strides` (a channel slice of an NCHW tensor).
    static func descriptor(_ shape: [Int], strides: [Int]) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let (d, s) = (dims(shape), dims(strides))
        check(
            dnnl_memory_desc_init_by_strides(&md, Int32(shape.count), d, dnnl_f32, s),
            "memory descriptor of shape \(shape) strides \(strides)")
        return md
    }

    /// Bytes a buffer of this descriptor needs.
    static func bytes(_ md: dnnl_memory_desc_t) -> Int {
        var md = md
        return dnnl_memory_desc_get_size(&md)
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var (a, b) = (a, b)
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// A memory object over `pointer` (oneDNN does not own it); destroy it with `dnnl_memory_destroy`.
    static func memory(_ md: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer, _ what: String) -> dnnl_memory_t {
        var md = md
        var memory: dnnl_memory_t?
        check(dnnl_memory_create(&memory, &md, engine, pointer), "memory for \(what)")
        return memory!
    }

    /// Runs `primitive` on a fresh stream with `arguments` (argument index, descriptor, pointer) and waits for it.
    static func execute(
        _ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)],
        _ what: @autoclosure () -> String
    ) {
        OpenMPThreads.singleOnThisThread()
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream for \(what())")
        defer { dnnl_stream_destroy(stream) }
        let memories = arguments.map { memory($0.1, $0.2, what()) }
        defer { for m in memories { dnnl_memory_destroy(m) } }
        var args = zip(arguments, memories).map { dnnl_exec_arg_t(arg: $0.0.0, memory: $0.1) }
        check(dnnl_primitive_execute(primitive, stream, Int32(args.count), &args), "executing \(what())")
        check(dnnl_stream_wait(stream), "waiting for \(what())")
    }

    /// A reorder between two layouts of the same tensor (e.g. NCHW to the blocked nChw16c a convolution chose).
    final class Reorder: @unchecked Sendable {
        let primitive: dnnl_primitive_t
        let from: dnnl_memory_desc_t
        let to: dnnl_memory_desc_t

        /// Set for the NHWC <-> nChw16c pairs of channels-last training (the channels a multiple of 16): then ``run``
        /// copies the 16-channel runs itself (`tl_nhwc_to_nchw16c`), about twice as fast in place as oneDNN 2.6.3's
        /// generic reorder (`jit:uni`) at 8x224, with the same values.
        private let channelRuns: (toBlocked: Bool, images: Int, plane: Int, channels: Int, stride: Int)?

        init(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, _ what: String) {
            if let rows = Reorder.channelsLastRows(from), Reorder.isBlocked16(to, rows) {
                channelRuns = (true, rows.images, rows.plane, rows.channels, rows.stride)
            } else if let rows = Reorder.channelsLastRows(to), Reorder.isBlocked16(from, rows) {
                channelRuns = (false, rows.images, rows.plane, rows.channels, rows.stride)
            } else {
                channelRuns = nil
            }
            OpenMPThreads.singleOnThisThread()
            var (a, b) = (from, to)
            var attr: dnnl_primitive_attr_t?
            check(dnnl_primitive_attr_create(&attr), "attributes for reorder for \(what)")
            defer { dnnl_primitive_attr_destroy(attr) }
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad for \(what)")
            var pd: dnnl_primitive_desc_t?
            check(dnnl_reorder_primitive_desc_create(&pd, &a, engine, &b, engine, attr), "reorder for \(what)")
            defer { dnnl_primitive_desc_destroy(pd) }
            var primitive: dnnl_primitive_t?
            check(dnnl_primitive_create(&primitive, pd), "reorder primitive for \(what)")
            self.primitive = primitive!
            (self.from, self.to) = (from, to)
            scratchpad = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0).pointee
            scratchpadBytes = OneDNN.bytes(scratchpad)
        }

        deinit { dnnl_primitive_destroy(primitive) }

        /// The scratchpad the reorder asks for (none for plain layout changes; the weight transform into Winograd's
        /// layout, `wino_reorder`, needs one, about `36 x O x C` floats). It is ours (`dnnl_scratchpad_mode_user`)
        /// and made for each run: with oneDNN's own, kept in the primitive, two threads running the reorder at once
        /// mixed their weights. That reorder runs once per kept weight, so the allocation costs nothing that matters
        /// and no memory stays reserved for it.
        private let scratchpad: dnnl_memory_desc_t
        private let scratchpadBytes: Int

        /// A 4-D `[N, C, H, W]` float32 descriptor laid out channels-last at offset 0, its pixels `stride` floats
        /// apart (`stride >= C`), as (images, plane, channels, stride); nil for any other layout.
        static func channelsLastRows(
            _ md: dnnl_memory_desc_t
        ) -> (images: Int, plane: Int, channels: Int, stride: Int)? {
            guard md.ndims == 4, md.data_type == dnnl_f32, md.format_kind == dnnl_blocked, md.offset0 == 0,
                md.format_desc.blocking.inner_nblks == 0
            else { return nil }
            let dims = withUnsafeBytes(of: md.dims) { Array($0.bindMemory(to: Int64.self).prefix(4)).map { Int($0) } }
            let strides = withUnsafeBytes(of: md.format_desc.blocking.strides) {
                Array($0.bindMemory(to: Int64.self).prefix(4)).map { Int($0) }
            }
            let (n, c, h, w) = (dims[0], dims[1], dims[2], dims[3])
            let stride = strides[3]
            guard strides[1] == 1, stride >= c, strides[2] == w * stride, strides[0] == h * w * stride else {
                return nil
            }
            return (n, h * w, c, stride)
        }

        /// Whether `md` is the dense nChw16c layout of the tensor `rows` describes, its channels a multiple of 16.
        static func isBlocked16(
            _ md: dnnl_memory_desc_t, _ rows: (images: Int, plane: Int, channels: Int, stride: Int)
        )
            -> Bool
        {
            guard rows.channels % 16 == 0, md.ndims == 4 else { return false }
            let dims = withUnsafeBytes(of: md.dims) { Array($0.bindMemory(to: Int64.self).prefix(4)).map { Int($0) } }
            return dims[0] == rows.images && dims[1] == rows.channels && dims[2] * dims[3] == rows.plane
                && equal(md, descriptor(dims, dnnl_nChw16c))
        }

        func run(_ source: UnsafeRawPointer, _ target: UnsafeMutableRawPointer, _ what: @autoclosure () -> String) {
            if let runs = channelRuns {
                let (x, y) = (source.assumingMemoryBound(to: Float.self), target.assumingMemoryBound(to: Float.self))
                if runs.toBlocked {
                    tl_nhwc_to_nchw16c(x, y, runs.images, runs.plane, runs.channels, runs.stride)
                } else {
                    tl_nchw16c_to_nhwc(x, y, runs.images, runs.plane, runs.channels, runs.stride)
                }
                return
            }
            let arguments = [
                (DNNL_ARG_FROM, from, UnsafeMutableRawPointer(mutating: source)), (DNNL_ARG_TO, to, target),
            ]
            guard scratchpadBytes > 0 else {
                execute(primitive, arguments, "reorder of \(what())")
                return
            }
            let memory = UnsafeMutableRawPointer.allocate(byteCount: scratchpadBytes, alignment: 64)
            defer { memory.deallocate() }
            execute(primitive, arguments + [(DNNL_ARG_SCRATCHPAD, scratchpad, memory)], "reorder of \(what())")
        }
    }
}
