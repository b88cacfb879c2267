/*
 * pngdecode.c - PNG decoding through libpng behind setjmp: a bad file becomes a status code.
 *
 * Decoding mirrors torchvision's decode_png (torchvision/csrc/io/image/cpu/decode_png.cpp): the
 * same libpng transforms for each read mode, no gamma correction (png_set_gamma is never called,
 * so gAMA/sRGB/iCCP chunks do not change the samples), and libpng's default CRC policy
 * (PNG_CRC_DEFAULT: a CRC error in a critical chunk - IHDR, PLTE, IDAT - is an error; in an
 * ancillary chunk it is a warning and the chunk is discarded). Like torchvision, it stops after the
 * last image row (png_read_end is not called), so a missing or damaged IEND is not an error.
 */
#include "pngshared.h"

typedef struct decoder {
    png_structp png;
    png_infop info;
    const uint8_t *bytes;
    size_t length;
    size_t position;
    uint8_t *data;
    png_bytep *rows;
    char *message;
} decoder;

static void read_bytes(png_structp png, png_bytep output, size_t count) {
    decoder *d = (decoder *)png_get_io_ptr(png);
    if (d->length - d->position < count) {
        char text[TL_PNG_MESSAGE_CAPACITY];
        snprintf(text, sizeof text, "unexpected end of data: the file ends after %zu bytes", d->length);
        png_error(png, text);
    }
    memcpy(output, d->bytes + d->position, count);
    d->position += count;
}

/* The libpng transforms torchvision's decode_png requests for each read mode. */
static void request_transforms(png_structp png, int color_type, int bit_depth, int mode) {
    int is_palette = (color_type & PNG_COLOR_MASK_PALETTE) != 0;
    int has_color = (color_type & PNG_COLOR_MASK_COLOR) != 0;
    int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0;
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (is_palette) {
        png_set_palette_to_rgb(png); /* also turns tRNS into an alpha channel */
        has_alpha = 1;
    }
    switch (mode) {
    case TL_PNG_MODE_GRAY:
        if (has_alpha) {
            png_set_strip_alpha(png);
        }
        if (has_color) {
            png_set_rgb_to_gray(png, PNG_ERROR_ACTION_NONE, 0.2989, 0.587);
        }
        break;
    case TL_PNG_MODE_RGB:
        if (!has_color) {
            png_set_gray_to_rgb(png);
        }
        if (has_alpha) {
            png_set_strip_alpha(png);
        }
        break;
    default:
        break;
    }
}

/* Runs the libpng read calls; returns a status. A libpng error lands in the setjmp branch. */
static int run_decode(decoder *d, int mode, uint64_t max_bytes, tl_png_image *image) {
    if (setjmp(png_jmpbuf(d->png))) {
        return TL_PNG_CORRUPT;
    }
    png_set_sig_bytes(d->png, 8);
    d->position = 8;
    png_set_read_fn(d->png, d, read_bytes);
    png_read_info(d->png, d->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(d->png, d->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    request_transforms(d->png, color_type, bit_depth, mode);
    if (interlace != PNG_INTERLACE_NONE) {
        png_set_interlace_handling(d->png);
    }
    if (bit_depth == 16 && is_little_endian()) {
        png_set_swap(d->png);
    }
    png_read_update_info(d->png, d->info);

    int channels = png_get_channels(d->png, d->info);
    int out_depth = png_get_bit_depth(d->png, d->info);
    size_t rowbytes = png_get_rowbytes(d->png, d->info);
    uint64_t total = (uint64_t)rowbytes * height;
    if ((out_depth != 8 && out_depth != 16) || rowbytes != (size_t)width * channels * (out_depth / 8)) {
        snprintf(d->message, TL_PNG_MESSAGE_CAPACITY,
                 "decoding gives %d channels of %d bits in %zu bytes per row for width %u",
                 channels, out_depth, rowbytes, (unsigned)width);
        return TL_PNG_UNSUPPORTED;
    }
    if (total > max_bytes) {
        snprintf(d->message, TL_PNG_MESSAGE_CAPACITY,
                 "%u x %u pixels x %d channels x %d bytes = %llu bytes exceeds the limit of %llu bytes",
                 (unsigned)width, (unsigned)height, channels, out_depth / 8,
                 (unsigned long long)total, (unsigned long long)max_bytes);
        return TL_PNG_TOO_LARGE;
    }
    /* What the file could hold: deflate expands at most 1032:1, and the image data before libpng's transforms is
     * one filter byte per row (per pass, for Adam7: up to 7 rows' worth more) plus the packed row. A small file
     * claiming a large image is refused before the allocation, not after a failed read of data it lacks. */
    uint64_t file_channels = (color_type & PNG_COLOR_MASK_PALETTE) ? 1
        : ((color_type & PNG_COLOR_MASK_COLOR) ? 3 : 1) + ((color_type & PNG_COLOR_MASK_ALPHA) ? 1 : 0);
    uint64_t packed_row = ((uint64_t)width * file_channels * (uint64_t)bit_depth + 7) / 8;
    uint64_t raw_bytes = (uint64_t)height * (packed_row + 1);
    uint64_t holdable = (uint64_t)d->length * 1032 + 7 * (uint64_t)height + 1024;
    if (raw_bytes > holdable) {
        snprintf(d->message, TL_PNG_MESSAGE_CAPACITY,
                 "%u x %u pixels need %llu bytes of image data, more than the file's %zu bytes can hold "
                 "(deflate expands at most 1032:1)",
                 (unsigned)width, (unsigned)height, (unsigned long long)raw_bytes, d->length);
        return TL_PNG_CORRUPT;
    }
    d->data = (uint8_t *)malloc((size_t)total);
    d->rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (d->data == NULL || d->rows == NULL) {
        set_message(d->message, "out of memory for the decoded samples");
        return TL_PNG_OUT_OF_MEMORY;
    }
    for (png_uint_32 y = 0; y < height; y++) {
        d->rows[y] = d->data + (size_t)y * rowbytes;
    }
    png_read_image(d->png, d->rows);

    image->width = width;
    image->height = height;
    image->channels = channels;
    image->bit_depth = out_depth;
    image->interlaced = interlace != PNG_INTERLACE_NONE;
    image->color_type = color_type;
    image->file_bit_depth = bit_depth;
    image->size = (size_t)total;
    image->data = d->data;
    d->data = NULL;
    return TL_PNG_OK;
}

int tl_png_decode(const uint8_t *bytes, size_t length, int mode, uint64_t max_bytes,
                  tl_png_image *image, char *message) {
    memset(image, 0, sizeof *image);
    message[0] = '\0';
    if (length < 8 || png_sig_cmp((png_const_bytep)bytes, 0, 8) != 0) {
        set_message(message, length == 0 ? "the file is empty"
                    : length < 8 ? "the file is shorter than the 8-byte PNG signature"
                    : "the PNG signature is missing");
        return TL_PNG_NOT_PNG;
    }
    decoder d = {0};
    d.bytes = bytes;
    d.length = length;
    d.message = message;
    d.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, message, on_error, on_warning);
    if (d.png == NULL) {
        set_message(message, "libpng could not allocate its read structure");
        return TL_PNG_OUT_OF_MEMORY;
    }
    d.info = png_create_info_struct(d.png);
    int status = TL_PNG_OUT_OF_MEMORY;
    if (d.info == NULL) {
        set_message(message, "libpng could not allocate its info structure");
    } else {
        status = run_decode(&d, mode, max_bytes, image);
    }
    png_destroy_read_struct(&d.png, &d.info, NULL);
    free(d.rows);
    free(d.data);
    return status;
}

void tl_png_image_free(tl_png_image *image) {
    free(image->data);
    image->data = NULL;
    image->size = 0;
}

