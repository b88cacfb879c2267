/*
 * pngencode.c - PNG encoding through libpng behind setjmp, into a growing memory buffer.
 */
#include "pngshared.h"

typedef struct encoder {
    png_structp png;
    png_infop info;
    png_bytep *rows;
    tl_png_buffer *output;
} encoder;

static void write_bytes(png_structp png, png_bytep data, size_t count) {
    encoder *e = (encoder *)png_get_io_ptr(png);
    tl_png_buffer *out = e->output;
    if (out->capacity - out->size < count) {
        size_t capacity = out->capacity == 0 ? 4096 : out->capacity;
        while (capacity - out->size < count) {
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(out->data, capacity);
        if (grown == NULL) {
            png_error(png, "out of memory for the encoded PNG");
        }
        out->data = grown;
        out->capacity = capacity;
    }
    memcpy(out->data + out->size, data, count);
    out->size += count;
}

static void flush_bytes(png_structp png) {
    (void)png;
}

static int color_type_for(int channels) {
    switch (channels) {
    case 1: return PNG_COLOR_TYPE_GRAY;
    case 2: return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3: return PNG_COLOR_TYPE_RGB;
    default: return PNG_COLOR_TYPE_RGB_ALPHA;
    }
}

static int run_encode(encoder *e, const uint8_t *samples, uint32_t width, uint32_t height,
                      int channels, int bit_depth) {
    if (setjmp(png_jmpbuf(e->png))) {
        return TL_PNG_CORRUPT;
    }
    png_set_write_fn(e->png, e, write_bytes, flush_bytes);
    png_set_IHDR(e->png, e->info, width, height, bit_depth, color_type_for(channels),
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(e->png, e->info);
    if (bit_depth == 16 && is_little_endian()) {
        png_set_swap(e->png);
    }
    size_t rowbytes = (size_t)width * channels * (bit_depth / 8);
    for (uint32_t y = 0; y < height; y++) {
        e->rows[y] = (png_bytep)(samples + (size_t)y * rowbytes);
    }
    png_write_image(e->png, e->rows);
    png_write_end(e->png, NULL);
    return TL_PNG_OK;
}

int tl_png_encode(const void *samples, uint32_t width, uint32_t height, int channels,
                  int bit_depth, tl_png_buffer *output, char *message) {
    memset(output, 0, sizeof *output);
    message[0] = '\0';
    if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX
        || channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        snprintf(message, TL_PNG_MESSAGE_CAPACITY,
                 "cannot encode %u x %u pixels with %d channels of %d bits",
                 (unsigned)width, (unsigned)height, channels, bit_depth);
        return TL_PNG_INVALID_ARGUMENT;
    }
    encoder e = {0};
    e.output = output;
    e.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, on_error, on_warning);
    if (e.png == NULL) {
        set_message(message, "libpng could not allocate its write structure");
        return TL_PNG_OUT_OF_MEMORY;
    }
    e.info = png_create_info_struct(e.png);
    e.rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    int status = TL_PNG_OUT_OF_MEMORY;
    if (e.info == NULL || e.rows == NULL) {
        set_message(message, "out of memory for the libpng write structures");
    } else {
        status = run_encode(&e, (const uint8_t *)samples, width, height, channels, bit_depth);
    }
    png_destroy_write_struct(&e.png, &e.info);
    free(e.rows);
    if (status != TL_PNG_OK) {
        tl_png_buffer_free(output);
    }
    return status;
}

void tl_png_buffer_free(tl_png_buffer *buffer) {
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
    buffer->capacity = 0;
}
