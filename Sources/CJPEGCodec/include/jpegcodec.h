/*
 * jpegcodec.h - JPEG decoding over libjpeg(-turbo) that never longjmps into Swift and never prints.
 *
 * Every libjpeg call runs inside setjmp (jpegdecode.c); errors come back as a status code plus a
 * message copied into the caller's buffer, every allocation is freed on every path, and libjpeg's
 * warnings and trace messages are never written to stderr. Reading is from a memory buffer.
 */
#ifndef TL_JPEGCODEC_H
#define TL_JPEGCODEC_H

#include <stddef.h>
#include <stdint.h>

/* Status codes returned by tl_jpeg_decode and tl_jpeg_read_header. */
#define TL_JPEG_OK 0
#define TL_JPEG_NOT_JPEG 1       /* empty, shorter than 3 bytes, or the FF D8 FF signature is missing */
#define TL_JPEG_CORRUPT 2        /* libjpeg reported an error (bad marker, bad header, bad Huffman table...) */
#define TL_JPEG_TOO_LARGE 3      /* more pixels than the caller's limit, or more scans than its scan limit */
#define TL_JPEG_UNSUPPORTED 4    /* a valid JPEG this codec does not decode (2 components, 12-bit samples) */
#define TL_JPEG_OUT_OF_MEMORY 5  /* malloc or libjpeg's allocator failed */
#define TL_JPEG_TRUNCATED 6      /* the data ends before the image does (libjpeg's "Premature end of JPEG file") */

/* Conversion applied while decoding (the same codes as TL_PNG_MODE_*). */
#define TL_JPEG_MODE_UNCHANGED 0 /* gray stays 1 channel; YCbCr, RGB, CMYK and YCCK give RGB */
#define TL_JPEG_MODE_GRAY 1      /* 1 channel: libjpeg's grayscale output, CMYK through RGB */
#define TL_JPEG_MODE_RGB 2       /* 3 channels, as PIL's Image.open(f).convert("RGB") */

/* The file's colour space as libjpeg identifies it (JFIF/Adobe markers, component ids). */
#define TL_JPEG_COLOR_UNKNOWN 0
#define TL_JPEG_COLOR_GRAYSCALE 1
#define TL_JPEG_COLOR_RGB 2
#define TL_JPEG_COLOR_YCBCR 3
#define TL_JPEG_COLOR_CMYK 4
#define TL_JPEG_COLOR_YCCK 5

#define TL_JPEG_MESSAGE_CAPACITY 256

/* What the header (SOF and the markers before the first scan) says about the image. */
typedef struct tl_jpeg_header {
    uint32_t width;
    uint32_t height;
    int32_t components;      /* 1, 3 or 4 for files this codec decodes */
    int32_t color_space;     /* a TL_JPEG_COLOR_* code */
    int32_t progressive;     /* 1 for a progressive (SOF2) file */
    int32_t adobe_transform; /* the Adobe APP14 marker's transform flag (0, 1, 2), or -1 without one */
    int32_t orientation;     /* the EXIF Orientation tag (0x0112) of the first Exif APP1, or -1 without one */
} tl_jpeg_header;

/* A decoded image: row-major HWC bytes with `channels` (1 or 3) per pixel. `data` is allocated by
 * tl_jpeg_decode; free it with tl_jpeg_image_free. */
typedef struct tl_jpeg_image {
    tl_jpeg_header header;
    int32_t channels;
    uint8_t *data;
    size_t size;
} tl_jpeg_image;

/* Decodes `length` bytes of JPEG into `image` with the conversion `mode`, libjpeg's default (and
 * PIL's) settings: the accurate integer IDCT (JDCT_ISLOW) and fancy (triangular) upsampling.
 * Refuses (TL_JPEG_TOO_LARGE) before any sample memory is allocated when width * height exceeds
 * `max_pixels`, and while decoding once a progressive file starts scan number `max_scans` + 1
 * (0: no scan limit). Running out of data anywhere, including before EOI, is TL_JPEG_TRUNCATED;
 * libjpeg's recoverable warnings about corrupt entropy-coded data are ignored, as PIL ignores them.
 * On failure `image->data` is NULL and `message` holds a NUL-terminated explanation
 * (TL_JPEG_MESSAGE_CAPACITY bytes). */
int tl_jpeg_decode(const uint8_t *bytes, size_t length, int mode, uint64_t max_pixels, int max_scans,
                   tl_jpeg_image *image, char *message);

/* Reads the markers up to the first scan into `header` without decoding any sample. */
int tl_jpeg_read_header(const uint8_t *bytes, size_t length, tl_jpeg_header *header, char *message);

/* Releases the samples of a decoded image (safe on a zeroed or already freed image). */
void tl_jpeg_image_free(tl_jpeg_image *image);

/* LIBJPEG_TURBO_VERSION_NUMBER of the headers this target was compiled against (2001005 for
 * 2.1.5), or 0 for a libjpeg that is not libjpeg-turbo. */
int tl_jpeg_library_version(void);

#endif
