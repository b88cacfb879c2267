/*
 * pngcodec.h - PNG decode/encode over libpng that never longjmps into Swift.
 *
 * Every libpng call runs inside setjmp(png_jmpbuf(png)) (pngdecode.c, pngencode.c); errors come back
 * as a status code plus a message copied into the caller's buffer, and every allocation is freed
 * on every path. Reading is from a memory buffer; writing is into a growing memory buffer.
 */
#ifndef TL_PNGCODEC_H
#define TL_PNGCODEC_H

#include <stddef.h>
#include <stdint.h>

/* Status codes returned by tl_png_decode and tl_png_encode. */
#define TL_PNG_OK 0
#define TL_PNG_NOT_PNG 1         /* shorter than 8 bytes or the PNG signature is missing */
#define TL_PNG_CORRUPT 2         /* libpng reported an error (CRC, zlib, truncation, bad header...) */
#define TL_PNG_TOO_LARGE 3       /* the decoded samples would exceed the caller's byte limit */
#define TL_PNG_UNSUPPORTED 4     /* a layout this codec does not produce (e.g. bit depth 16 expected) */
#define TL_PNG_OUT_OF_MEMORY 5   /* malloc failed */
#define TL_PNG_INVALID_ARGUMENT 6 /* encode: bad width, height, channels or bit depth */

/* Conversion applied while decoding (mirrors torchvision's ImageReadMode). */
#define TL_PNG_MODE_UNCHANGED 0  /* keep the file's channels; palette -> RGB (RGBA with tRNS) */
#define TL_PNG_MODE_GRAY 1       /* 1 channel: alpha stripped, colour through png_set_rgb_to_gray */
#define TL_PNG_MODE_RGB 2        /* 3 channels: gray replicated, palette expanded, alpha dropped */

#define TL_PNG_MESSAGE_CAPACITY 256

/* A decoded image: row-major HWC samples, 1 byte per sample (bit_depth 8) or a native-endian
 * uint16_t per sample (bit_depth 16). `data` is allocated by tl_png_decode; free it with
 * tl_png_image_free. */
typedef struct tl_png_image {
    uint32_t width;
    uint32_t height;
    int32_t channels;
    int32_t bit_depth;
    int32_t interlaced;
    int32_t color_type; /* the file's PNG colour type (0, 2, 3, 4 or 6) */
    int32_t file_bit_depth; /* the file's bit depth (1, 2, 4, 8 or 16) */
    uint8_t *data;
    size_t size;
} tl_png_image;

/* An encoded PNG byte stream allocated by tl_png_encode; free it with tl_png_buffer_free. */
typedef struct tl_png_buffer {
    uint8_t *data;
    size_t size;
    size_t capacity;
} tl_png_buffer;

/* Decodes `length` bytes of PNG into `image` with the conversion `mode`. Refuses (TL_PNG_TOO_LARGE)
 * before allocating when height * rowbytes exceeds `max_bytes`. On failure `image->data` is NULL
 * and `message` holds a NUL-terminated explanation (TL_PNG_MESSAGE_CAPACITY bytes). */
int tl_png_decode(const uint8_t *bytes, size_t length, int mode, uint64_t max_bytes,
                  tl_png_image *image, char *message);

/* Releases the samples of a decoded image (safe on a zeroed or already freed image). */
void tl_png_image_free(tl_png_image *image);

/* Encodes row-major HWC samples (uint8_t for bit_depth 8, native-endian uint16_t for bit_depth 16)
 * with 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels, non-interlaced. On failure
 * `output->data` is NULL and `message` holds the reason. */
int tl_png_encode(const void *samples, uint32_t width, uint32_t height, int channels,
                  int bit_depth, tl_png_buffer *output, char *message);

/* Releases an encoded byte stream (safe on a zeroed or already freed buffer). */
void tl_png_buffer_free(tl_png_buffer *buffer);

#endif
