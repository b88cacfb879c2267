#include "ckernels.h"

// One clone per instruction set; the loader picks the best one the CPU has (ifunc + cpuid).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TL_THREAD_SANITIZER 1
#endif
#endif
#if defined(TL_THREAD_SANITIZER)
// Under ThreadSanitizer (`swift test --sanitize=thread`) one default build: the ifunc resolver target_clones emits
// is instrumented and runs while the loader relocates, before the TSan runtime is set up, and crashed there
// (SIGSEGV in tl_shifted_sums[resolver] from _dl_relocate_object, before main).
#define CLONES
#else
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#define LANES 8

CLONES void tl_relu(const float *restrict x, float *restrict y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v <= 0 ? 0.0f : v;
    }
}

CLONES void tl_relu_backward(const float *restrict gy, const float *restrict y, float *restrict gx, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float g = gy[i];
        gx[i] = y[i] <= 0 ? 0.0f : g;
    }
}

CLONES void tl_add(const float *a, const float *b, float alpha, float *out, ptrdiff_t n) {
    if (alpha == 1.0f) {
        for (ptrdiff_t i = 0; i < n; i++) out[i] = a[i] + b[i];
    } else {
        for (ptrdiff_t i = 0; i < n; i++) out[i] = a[i] + alpha * b[i];
    }
}

CLONES void tl_scale_shift(const float *x, float *y, ptrdiff_t n, float scale, float shift) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float p = x[i] * scale;
        y[i] = p + shift;
    }
}

CLONES void tl_shifted_sums(const float *restrict x, ptrdiff_t n, float shift, double *sum, double *squares) {
    double s[LANES] = {0}, q[LANES] = {0};
    const double k = shift;
    ptrdiff_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (int l = 0; l < LANES; l++) {
            double d = (double)x[i + l] - k;
            s[l] += d;
            q[l] += d * d;
        }
    }
    double ts = 0, tq = 0;
    for (int l = 0; l < LANES; l++) {
        ts += s[l];
        tq += q[l];
    }
    for (; i < n; i++) {
        double d = (double)x[i] - k;
        ts += d;
        tq += d * d;
    }
    *sum = ts;
    *squares = tq;
}

CLONES void tl_gradient_sums(
    const float *restrict dy, const float *restrict x, ptrdiff_t n, float mean, double *sum, double *centered) {
    double s[LANES] = {0}, c[LANES] = {0};
    const double m = mean;
    ptrdiff_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (int l = 0; l < LANES; l++) {
            double g = dy[i + l];
            s[l] += g;
            c[l] += g * ((double)x[i + l] - m);
        }
    }
    double ts = 0, tc = 0;
    for (int l = 0; l < LANES; l++) {
        ts += s[l];
        tc += c[l];
    }
    for (; i < n; i++) {
        double g = dy[i];
        ts += g;
        tc += g * ((double)x[i] - m);
    }
    *sum = ts;
    *centered = tc;
}

CLONES void tl_batch_norm_backward(
    const float *restrict dy, const float *restrict x, float *restrict dx, ptrdiff_t n, float mean_dy, float mu,
    float projection, float scale) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float centered = x[i] - mu;
        float p = centered * projection;
        float d = dy[i] - mean_dy;
        dx[i] = (d - p) * scale;
    }
}

CLONES void tl_channel_shifted_sums(
    const float *restrict x, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t c0, ptrdiff_t c1,
    const float *restrict shift, double *restrict sum, double *restrict squares) {
    if (plane == 1) {
        // Channels-last rows (or 1x1 planes): blocks of 16 channels down all rows, the sums in registers; each
        // channel still adds its values row after row, so the result is the row-outer loop's, bit for bit.
        ptrdiff_t c = c0;
        for (; c + 16 <= c1; c += 16) {
            double k[16], s[16] = {0}, q[16] = {0};
            for (int j = 0; j < 16; j++) k[j] = shift[c + j];
            for (ptrdiff_t n = 0; n < batch; n++) {
                const float *restrict v = x + n * channels + c;
                for (int j = 0; j < 16; j++) {
                    double d = (double)v[j] - k[j];
                    s[j] += d;
                    q[j] += d * d;
                }
            }
            for (int j = 0; j < 16; j++) {
                sum[c + j] = s[j];
                squares[c + j] = q[j];
            }
        }
        c0 = c;
    }
    for (ptrdiff_t c = c0; c < c1; c++) sum[c] = squares[c] = 0;
    for (ptrdiff_t n = 0; n < batch; n++) {
        const float *row = x + n * channels * plane;
        if (plane == 1) {
            for (ptrdiff_t c = c0; c < c1; c++) {
                double d = (double)row[c] - (double)shift[c];
                sum[c] += d;
                squares[c] += d * d;
            }
            continue;
        }
        for (ptrdiff_t c = c0; c < c1; c++) {
            const float *v = row + c * plane;
            const double k = shift[c];
            double s = 0, q = 0;
            for (ptrdiff_t i = 0; i < plane; i++) {
                double d = (double)v[i] - k;
                s += d;
                q += d * d;
            }
            sum[c] += s;
            squares[c] += q;
        }
    }
}

CLONES void tl_channel_gradient_sums(
    const float *restrict dy, const float *restrict x, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t plane,
    ptrdiff_t c0, ptrdiff_t c1, const float *restrict mean, double *restrict sum, double *restrict centered) {
    if (plane == 1) {
        // As tl_channel_shifted_sums: blocks of 16 channels down all rows, the same sums bit for bit.
        ptrdiff_t c = c0;
        for (; c + 16 <= c1; c += 16) {
            double m[16], s[16] = {0}, t[16] = {0};
            for (int j = 0; j < 16; j++) m[j] = mean[c + j];
            for (ptrdiff_t n = 0; n < batch; n++) {
                const float *restrict g = dy + n * channels + c, *restrict v = x + n * channels + c;
                for (int j = 0; j < 16; j++) {
                    double gj = g[j];
                    s[j] += gj;
                    t[j] += gj * ((double)v[j] - m[j]);
                }
            }
            for (int j = 0; j < 16; j++) {
                sum[c + j] = s[j];
                centered[c + j] = t[j];
            }
        }
        c0 = c;
    }
    for (ptrdiff_t c = c0; c < c1; c++) sum[c] = centered[c] = 0;
    for (ptrdiff_t n = 0; n < batch; n++) {
        const ptrdiff_t row = n * channels * plane;
        if (plane == 1) {
            for (ptrdiff_t c = c0; c < c1; c++) {
                double g = dy[row + c];
                sum[c] += g;
                centered[c] += g * ((double)x[row + c] - (double)mean[c]);
            }
            continue;
        }
        for (ptrdiff_t c = c0; c < c1; c++) {
            const float *g = dy + row + c * plane, *v = x + row + c * plane;
            const double m = mean[c];
            double s = 0, t = 0;
            for (ptrdiff_t i = 0; i < plane; i++) {
                s += g[i];
                t += (double)g[i] * ((double)v[i] - m);
            }
            sum[c] += s;
            centered[c] += t;
        }
    }
}

CLONES void tl_channel_scale_shift(
    const float *restrict x, float *restrict y, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t c0,
    ptrdiff_t c1, const float *restrict scale, const float *restrict shift) {
    if (plane == 1) {
        // Channels-last rows (or 1x1 planes): blocks of 16 channels down all rows, their scale and shift held in
        // registers, then the remaining channels row by row.
        ptrdiff_t c = c0;
        for (; c + 16 <= c1; c += 16) {
            float a[16], b[16];
            for (int j = 0; j < 16; j++) (a[j] = scale[c + j], b[j] = shift[c + j]);
            for (ptrdiff_t n = 0; n < batch; n++) {
                const float *restrict v = x + n * channels + c;
                float *restrict out = y + n * channels + c;
                for (int j = 0; j < 16; j++) {
                    float p = v[j] * a[j];
                    out[j] = p + b[j];
                }
            }
        }
        for (ptrdiff_t n = 0; n < batch && c < c1; n++) {
            const float *restrict v = x + n * channels;
            float *restrict out = y + n * channels;
            for (ptrdiff_t k = c; k < c1; k++) {
                float p = v[k] * scale[k];
                out[k] = p + shift[k];
            }
        }
        return;
    }
    for (ptrdiff_t n = 0; n < batch; n++) {
        const ptrdiff_t row = n * channels * plane;
        for (ptrdiff_t c = c0; c < c1; c++) {
            const float a = scale[c], b = shift[c];
            const float *v = x + row + c * plane;
            float *out = y + row + c * plane;
            for (ptrdiff_t i = 0; i < plane; i++) {
                float p = v[i] * a;
                out[i] = p + b;
            }
        }
    }
}

CLONES void tl_channel_batch_norm_backward(
    const float *restrict dy, const float *restrict x, float *restrict dx, ptrdiff_t batch, ptrdiff_t channels,
    ptrdiff_t plane, ptrdiff_t c0, ptrdiff_t c1, const float *restrict mean_dy, const float *restrict mu,
    const float *restrict projection, const float *restrict scale) {
    if (plane == 1) {
        // As tl_channel_scale_shift: 16-channel blocks down all rows, their four values in registers.
        ptrdiff_t c = c0;
        for (; c + 16 <= c1; c += 16) {
            float m[16], u[16], p[16], s[16];
            for (int j = 0; j < 16; j++) (m[j] = mean_dy[c + j], u[j] = mu[c + j], p[j] = projection[c + j], s[j] = scale[c + j]);
            for (ptrdiff_t n = 0; n < batch; n++) {
                const ptrdiff_t at = n * channels + c;
                for (int j = 0; j < 16; j++) {
                    float centered = x[at + j] - u[j];
                    float q = centered * p[j];
                    float d = dy[at + j] - m[j];
                    dx[at + j] = (d - q) * s[j];
                }
            }
        }
        for (ptrdiff_t n = 0; n < batch && c < c1; n++) {
            const ptrdiff_t at = n * channels;
            for (ptrdiff_t k = c; k < c1; k++) {
                float centered = x[at + k] - mu[k];
                float q = centered * projection[k];
                float d = dy[at + k] - mean_dy[k];
                dx[at + k] = (d - q) * scale[k];
            }
        }
        return;
    }
    for (ptrdiff_t n = 0; n < batch; n++) {
        const ptrdiff_t row = n * channels * plane;
        for (ptrdiff_t c = c0; c < c1; c++) {
            const float m = mean_dy[c], u = mu[c], p = projection[c], s = scale[c];
            const ptrdiff_t at = row + c * plane;
            for (ptrdiff_t i = 0; i < plane; i++) {
                float centered = x[at + i] - u;
                float q = centered * p;
                float d = dy[at + i] - m;
                dx[at + i] = (d - q) * s;
            }
        }
    }
}

// im2col and col2im through an offset table, for small output planes: one row of the column matrix per
// (channel, tap) is `images` runs of `plane` values, value p of image n read from offsets[t * plane + p] in that
// image's channel plane (-1: the padding, a zero).
CLONES void tl_im2col_table(
    const float *restrict input, ptrdiff_t images, ptrdiff_t image_stride, ptrdiff_t in_plane, ptrdiff_t channels,
    const int *restrict offsets, ptrdiff_t taps, ptrdiff_t plane, float *restrict columns, ptrdiff_t row_length) {
    for (ptrdiff_t c = 0; c < channels; c++) {
        for (ptrdiff_t t = 0; t < taps; t++) {
            float *restrict row = columns + (c * taps + t) * row_length;
            const int *restrict off = offsets + t * plane;
            for (ptrdiff_t n = 0; n < images; n++) {
                const float *restrict src = input + n * image_stride + c * in_plane;
                float *restrict dst = row + n * plane;
                for (ptrdiff_t p = 0; p < plane; p++) {
                    int o = off[p];
                    dst[p] = o >= 0 ? src[o] : 0.0f;
                }
            }
        }
    }
}

// The adjoint: adds every value of the column rows back onto the input position it was read from. Within one
// (channel, tap, image) the positions are distinct, so the order of the additions onto any one input value is the
// same as col2im's loops (channel, tap, image, output position).
CLONES void tl_col2im_table(
    const float *restrict columns, ptrdiff_t images, ptrdiff_t image_stride, ptrdiff_t in_plane, ptrdiff_t channels,
    const int *restrict offsets, ptrdiff_t taps, ptrdiff_t plane, float *restrict input, ptrdiff_t row_length) {
    for (ptrdiff_t c = 0; c < channels; c++) {
        for (ptrdiff_t t = 0; t < taps; t++) {
            const float *restrict row = columns + (c * taps + t) * row_length;
            const int *restrict off = offsets + t * plane;
            for (ptrdiff_t n = 0; n < images; n++) {
                float *dst = input + n * image_stride + c * in_plane;
                const float *restrict src = row + n * plane;
                for (ptrdiff_t p = 0; p < plane; p++) {
                    int o = off[p];
                    if (o >= 0) dst[o] += src[p];
                }
            }
        }
    }
}

// Max pooling of `planes` planes [h, w] -> [ho, wo] without indices, in two separable passes (along each input
// row, then down each output row's window) through a row copy bordered with -inf. Both passes take a later tap
// when `v > best || v != v`, in row-major tap order, so the result is PyTorch's value exactly: the first maximum,
// or the last NaN. `scratch` holds h * wo + row_floats floats (row_floats: see tl_max_pool_row_floats).
CLONES void tl_max_pool_planes(
    const float *restrict x, float *restrict y, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w, ptrdiff_t ho,
    ptrdiff_t wo, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh,
    ptrdiff_t dw, float *restrict scratch) {
    float *restrict rows = scratch;
    float *restrict row = scratch + h * wo;
    const ptrdiff_t row_floats = tl_max_pool_row_floats(w, wo, kw, sw, pw, dw);
    for (ptrdiff_t i = 0; i < row_floats; i++) row[i] = -__builtin_inff();
    for (ptrdiff_t plane = 0; plane < planes; plane++) {
        const float *restrict src = x + plane * h * w;
        float *restrict dst = y + plane * ho * wo;
        for (ptrdiff_t ih = 0; ih < h; ih++) {
            for (ptrdiff_t iw = 0; iw < w; iw++) row[pw + iw] = src[ih * w + iw];
            float *restrict best = rows + ih * wo;
            for (ptrdiff_t ow = 0; ow < wo; ow++) {
                float b = -__builtin_inff();
                for (ptrdiff_t kj = 0; kj < kw; kj++) {
                    float v = row[ow * sw + kj * dw];
                    b = (v > b || v != v) ? v : b;
                }
                best[ow] = b;
            }
        }
        for (ptrdiff_t oh = 0; oh < ho; oh++) {
            float *restrict out = dst + oh * wo;
            for (ptrdiff_t ow = 0; ow < wo; ow++) out[ow] = -__builtin_inff();
            for (ptrdiff_t ki = 0; ki < kh; ki++) {
                ptrdiff_t ih = oh * sh - ph + ki * dh;
                if (ih < 0 || ih >= h) continue;
                const float *restrict best = rows + ih * wo;
                for (ptrdiff_t ow = 0; ow < wo; ow++) {
                    float v = best[ow], b = out[ow];
                    out[ow] = (v > b || v != v) ? v : b;
                }
            }
        }
    }
}

ptrdiff_t tl_max_pool_row_floats(ptrdiff_t w, ptrdiff_t wo, ptrdiff_t kw, ptrdiff_t sw, ptrdiff_t pw, ptrdiff_t dw) {
    ptrdiff_t reach = wo > 0 ? (wo - 1) * sw + (kw - 1) * dw + 1 : 0;
    return reach > pw + w ? reach : pw + w;
}

// Max pooling of channels-last images [h, w, c] -> [ho, wo, c], images [i0, i1) of the batch, values only: for each
// output position the window's taps inside the image in row-major order, `v > best || v != v` per channel (PyTorch's
// rule: the first maximum, or the last NaN), the channels in lanes.
CLONES void tl_max_pool_nhwc(
    const float *restrict x, float *restrict y, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c,
    ptrdiff_t ho, ptrdiff_t wo, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw,
    ptrdiff_t dh, ptrdiff_t dw) {
    for (ptrdiff_t n = i0; n < i1; n++) {
        const float *restrict image = x + n * h * w * c;
        for (ptrdiff_t oh = 0; oh < ho; oh++) {
            for (ptrdiff_t ow = 0; ow < wo; ow++) {
                float *restrict out = y + ((n * ho + oh) * wo + ow) * c;
                for (ptrdiff_t k = 0; k < c; k++) out[k] = -__builtin_inff();
                for (ptrdiff_t ki = 0; ki < kh; ki++) {
                    ptrdiff_t ih = oh * sh - ph + ki * dh;
                    if (ih < 0 || ih >= h) continue;
                    for (ptrdiff_t kj = 0; kj < kw; kj++) {
                        ptrdiff_t iw = ow * sw - pw + kj * dw;
                        if (iw < 0 || iw >= w) continue;
                        const float *restrict in = image + (ih * w + iw) * c;
                        for (ptrdiff_t k = 0; k < c; k++) {
                            float v = in[k], b = out[k];
                            out[k] = (v > b || v != v) ? v : b;
                        }
                    }
                }
            }
        }
    }
}

// Global average pooling of channels-last images [plane, c] -> [c], images [i0, i1): each channel's values added
// in float32 in plane order, then divided by the plane (adaptive_avg_pool2d to 1x1: the same sum, in the same order).
CLONES void tl_global_avg_pool_nhwc(
    const float *restrict x, float *restrict y, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t plane, ptrdiff_t c) {
    for (ptrdiff_t n = i0; n < i1; n++) {
        float *restrict out = y + n * c;
        const float *restrict image = x + n * plane * c;
        for (ptrdiff_t k = 0; k < c; k++) out[k] = 0.0f;
        for (ptrdiff_t p = 0; p < plane; p++) {
            for (ptrdiff_t k = 0; k < c; k++) out[k] += image[p * c + k];
        }
        for (ptrdiff_t k = 0; k < c; k++) out[k] = out[k] / (float)plane;
    }
}

void tl_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

const char *tl_kernels_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
    return "default";
}

// Channels-last rows and oneDNN's nChw16c blocks hold the same 16-channel runs, in another order: a row of the one
// is `channels / 16` runs of the other's blocks. Reading the NHWC side in order, the blocked side is written as
// channels / 16 sequential streams.
CLONES void tl_nhwc_to_nchw16c(
    const float *restrict x, float *restrict y, ptrdiff_t images, ptrdiff_t plane, ptrdiff_t channels,
    ptrdiff_t stride) {
    const ptrdiff_t blocks = channels / 16;
    for (ptrdiff_t n = 0; n < images; n++) {
        const float *restrict src = x + n * plane * stride;
        float *restrict dst = y + n * plane * channels;
        for (ptrdiff_t p = 0; p < plane; p++) {
            for (ptrdiff_t b = 0; b < blocks; b++) {
                const float *restrict from = src + p * stride + b * 16;
                float *restrict to = dst + (b * plane + p) * 16;
                for (int j = 0; j < 16; j++) to[j] = from[j];
            }
        }
    }
}

CLONES void tl_nchw16c_to_nhwc(
    const float *restrict x, float *restrict y, ptrdiff_t images, ptrdiff_t plane, ptrdiff_t channels,
    ptrdiff_t stride) {
    const ptrdiff_t blocks = channels / 16;
    for (ptrdiff_t n = 0; n < images; n++) {
        const float *restrict src = x + n * plane * channels;
        float *restrict dst = y + n * plane * stride;
        for (ptrdiff_t p = 0; p < plane; p++) {
            for (ptrdiff_t b = 0; b < blocks; b++) {
                const float *restrict from = src + (b * plane + p) * 16;
                float *restrict to = dst + p * stride + b * 16;
                for (int j = 0; j < 16; j++) to[j] = from[j];
            }
        }
    }
}
