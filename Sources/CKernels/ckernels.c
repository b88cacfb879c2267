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

const char *tl_kernels_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
    return "default";
}
