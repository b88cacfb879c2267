#ifndef TL_CKERNELS_H
#define TL_CKERNELS_H
// Element-wise and batch-norm loops in C, compiled for several instruction sets (AVX-512, AVX2, baseline x86-64)
// with the one matching the CPU chosen at load time (GCC/Clang `target_clones`, an ifunc resolved from cpuid).
// Swift's generic SIMD types compile for baseline x86-64 (SSE2) only; these are the same loops, wider.
// Every function is the scalar definition written out in lanes; none reorders a float32 sum (batch-norm sums
// accumulate in double, as ATen's CPU kernels do), so results match the Swift loops they replace exactly, except
// where noted: the double sums are added in 8 lanes in another order.

#include <stddef.h>

/// y[i] = x[i] <= 0 ? 0 : x[i] (torch.relu; NaN stays NaN).
void tl_relu(const float *x, float *y, ptrdiff_t n);
/// gx[i] = y[i] <= 0 ? 0 : gy[i] (threshold_backward on ReLU's output; NaN passes the gradient).
void tl_relu_backward(const float *gy, const float *y, float *gx, ptrdiff_t n);
/// out[i] = a[i] + alpha * b[i] (alpha == 1: a[i] + b[i], one rounding).
void tl_add(const float *a, const float *b, float alpha, float *out, ptrdiff_t n);
/// y[i] = x[i] * scale + shift (batch norm's per-channel affine map; a multiply and an add, not a fused one).
void tl_scale_shift(const float *x, float *y, ptrdiff_t n, float scale, float shift);
/// sum(x - shift), sum((x - shift)^2) in double (batch-norm statistics).
void tl_shifted_sums(const float *x, ptrdiff_t n, float shift, double *sum, double *squares);
/// sum(dy), sum(dy * (x - mean)) in double (batch-norm backward).
void tl_gradient_sums(const float *dy, const float *x, ptrdiff_t n, float mean, double *sum, double *centered);
/// dx[i] = (dy[i] - mean_dy - (x[i] - mu) * projection) * scale (batch-norm backward in training mode).
void tl_batch_norm_backward(
    const float *dy, const float *x, float *dx, ptrdiff_t n, float mean_dy, float mu, float projection, float scale);
/// Channel-range forms of the four batch-norm loops above for small planes (plane = H * W, e.g. 1 at layer4 of a
/// 32x32 input), over channels [c0, c1) of every sample of an [batch, channels, plane] array, per-channel values
/// indexed by channel: one call per task instead of one per (sample, channel), and for plane 1 a loop across
/// channels that vectorises. Sums start from zero and are accumulated in double, sample after sample.
void tl_channel_shifted_sums(
    const float *x, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t c0, ptrdiff_t c1,
    const float *shift, double *sum, double *squares);
void tl_channel_gradient_sums(
    const float *dy, const float *x, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t c0, ptrdiff_t c1,
    const float *mean, double *sum, double *centered);
/// y = x * scale[c] + shift[c] (a multiply and an add, as tl_scale_shift).
void tl_channel_scale_shift(
    const float *x, float *y, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t c0, ptrdiff_t c1,
    const float *scale, const float *shift);
/// dx = (dy - mean_dy[c] - (x - mu[c]) * projection[c]) * scale[c], as tl_batch_norm_backward.
void tl_channel_batch_norm_backward(
    const float *dy, const float *x, float *dx, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t c0,
    ptrdiff_t c1, const float *mean_dy, const float *mu, const float *projection, const float *scale);
/// im2col for the channels [0, channels) of `images` NCHW images (`image_stride` floats apart, planes of
/// `in_plane`) into rows of `row_length` floats, through `offsets` [taps, plane] (the input position each output
/// position of each tap reads, -1 in the padding): row (c * taps + t), value n * plane + p.
void tl_im2col_table(
    const float *input, ptrdiff_t images, ptrdiff_t image_stride, ptrdiff_t in_plane, ptrdiff_t channels,
    const int *offsets, ptrdiff_t taps, ptrdiff_t plane, float *columns, ptrdiff_t row_length);
/// The adjoint of tl_im2col_table: adds each column value onto the input position it was read from.
void tl_col2im_table(
    const float *columns, ptrdiff_t images, ptrdiff_t image_stride, ptrdiff_t in_plane, ptrdiff_t channels,
    const int *offsets, ptrdiff_t taps, ptrdiff_t plane, float *input, ptrdiff_t row_length);
/// Max pooling of `planes` [h, w] planes (kernel kh x kw, stride, padding, dilation, -inf padding) into [ho, wo]
/// planes, values only (PyTorch's: the first maximum in row-major tap order, or the last NaN). `scratch`:
/// h * wo + tl_max_pool_row_floats(...) floats.
void tl_max_pool_planes(
    const float *x, float *y, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w, ptrdiff_t ho, ptrdiff_t wo, ptrdiff_t kh,
    ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, float *scratch);
/// Floats of tl_max_pool_planes's bordered row copy.
ptrdiff_t tl_max_pool_row_floats(ptrdiff_t w, ptrdiff_t wo, ptrdiff_t kw, ptrdiff_t sw, ptrdiff_t pw, ptrdiff_t dw);
/// Max pooling of channels-last images [h, w, c] -> [ho, wo, c] (images [i0, i1)), values only, PyTorch's rule.
void tl_max_pool_nhwc(
    const float *x, float *y, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c, ptrdiff_t ho,
    ptrdiff_t wo, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh,
    ptrdiff_t dw);
/// NHWC -> nChw16c (oneDNN's blocked activation layout): `images` images of `plane` pixels whose `channels` (a
/// multiple of 16) channels start `stride` floats apart (>= channels: a channel slice of a wider tensor), into
/// [images][channels / 16][plane][16]. A copy of 64-byte runs; the same values, bit for bit.
void tl_nhwc_to_nchw16c(
    const float *x, float *y, ptrdiff_t images, ptrdiff_t plane, ptrdiff_t channels, ptrdiff_t stride);
/// nChw16c -> NHWC, the inverse of tl_nhwc_to_nchw16c (the NHWC rows `stride` floats apart).
void tl_nchw16c_to_nhwc(
    const float *x, float *y, ptrdiff_t images, ptrdiff_t plane, ptrdiff_t channels, ptrdiff_t stride);
/// Average of each channel of channels-last images [plane, c] -> [c] (images [i0, i1)), summed in plane order.
void tl_global_avg_pool_nhwc(const float *x, float *y, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t plane, ptrdiff_t c);
/// One spin-wait hint (x86 `pause`, Arm `yield`; nothing elsewhere), for the kernels' thread pool.
void tl_cpu_relax(void);
/// The instruction set the clones above resolve to on this CPU ("avx512f", "avx2" or "default").
const char *tl_kernels_isa(void);

#endif
