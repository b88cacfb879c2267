/*
 * jpegdecode.c - JPEG decoding through libjpeg(-turbo) behind setjmp: a bad file becomes a status code.
 *
 * The settings and conversions are PIL's (Pillow's JpegDecode.c, JpegImagePlugin.py, Convert.c), which
 * torchvision's ImageFolder uses through Image.open(f).convert("RGB"):
 * - libjpeg's defaults: dct_method JDCT_ISLOW, do_fancy_upsampling TRUE (PIL changes them only in
 *   draft mode, which ImageFolder never uses). Both are set explicitly here.
 * - 1 component: libjpeg's grayscale output; 3 components: libjpeg's RGB output (YCbCr converted by
 *   libjpeg, RGB files copied); 4 components: libjpeg's CMYK output (YCCK converted to CMYK by libjpeg),
 *   which PIL reads as Adobe-inverted ("CMYK;I": every value v stored as 255 - v) and converts with
 *   cmyk2rgb: nk = 255 - K, R = nk - muldiv255(C, nk) (C, K the stored values).
 * - Warnings about damaged entropy-coded data (a bad Huffman code, extraneous bytes before a marker...)
 *   are ignored, as PIL's silent output_message ignores them; running out of data is an error, as PIL
 *   raises "image file is truncated" unless ImageFile.LOAD_TRUNCATED_IMAGES is set.
 * libjpeg reports errors by calling error_exit, which must not return: on_error_exit copies the message
 * and longjmps to the setjmp in run(), whose caller frees everything whichever way run() returned.
 */
#include "jpegcodec.h"
#include "jpegexif.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct error_manager {
    struct jpeg_error_mgr pub; /* first, so that cinfo->err points at the whole struct */
    jmp_buf jump;
    int status;
    size_t length;
    char *message;
} error_manager;

typedef struct decoder {
    struct jpeg_decompress_struct cinfo;
    error_manager error;
    struct jpeg_progress_mgr progress;
    int created;
    int max_scans;
    uint8_t *data;
    uint8_t *row;
} decoder;

static void set_message(char *message, const char *text) {
    snprintf(message, TL_JPEG_MESSAGE_CAPACITY, "%s", text);
}

/* Ends decoding with `status`: back to the setjmp in run(). */
static void fail(j_common_ptr cinfo, int status) {
    error_manager *error = (error_manager *)cinfo->err;
    error->status = status;
    longjmp(error->jump, 1);
}

static void on_error_exit(j_common_ptr cinfo) {
    error_manager *error = (error_manager *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    set_message(error->message, text);
    switch (cinfo->err->msg_code) {
    case JERR_OUT_OF_MEMORY:
        fail(cinfo, TL_JPEG_OUT_OF_MEMORY);
        break;
    case JERR_BAD_PRECISION:
    case JERR_COMPONENT_COUNT:
        fail(cinfo, TL_JPEG_UNSUPPORTED);
        break;
    default:
        fail(cinfo, TL_JPEG_CORRUPT);
    }
}

/* Warnings (level -1) and trace messages (level >= 0): only the end of the data stops decoding. */
static void on_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) {
        return;
    }
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        error_manager *error = (error_manager *)cinfo->err;
        snprintf(error->message, TL_JPEG_MESSAGE_CAPACITY,
                 "image file is truncated: the data ends after %zu bytes, before the image does "
                 "(libjpeg: Premature end of JPEG file)", error->length);
        fail(cinfo, TL_JPEG_TRUNCATED);
    }
    cinfo->err->num_warnings++;
}

/* libjpeg's default prints to stderr; nothing is printed here. */
static void on_output_message(j_common_ptr cinfo) {
    (void)cinfo;
}

/* Called by libjpeg while it consumes input; refuses a progressive file past its scan limit. */
static void on_progress(j_common_ptr cinfo) {
    decoder *d = (decoder *)cinfo->client_data;
    int scan = d->cinfo.input_scan_number;
    if (d->max_scans > 0 && scan > d->max_scans) {
        snprintf(d->error.message, TL_JPEG_MESSAGE_CAPACITY,
                 "the file has more than %d scans (scan %d started), the limit for progressive files",
                 d->max_scans, scan);
        fail(cinfo, TL_JPEG_TOO_LARGE);
    }
}

static int32_t color_code(J_COLOR_SPACE space) {
    switch (space) {
    case JCS_GRAYSCALE: return TL_JPEG_COLOR_GRAYSCALE;
    case JCS_RGB: return TL_JPEG_COLOR_RGB;
    case JCS_YCbCr: return TL_JPEG_COLOR_YCBCR;
    case JCS_CMYK: return TL_JPEG_COLOR_CMYK;
    case JCS_YCCK: return TL_JPEG_COLOR_YCCK;
    default: return TL_JPEG_COLOR_UNKNOWN;
    }
}

static int32_t orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr marker = cinfo->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6 &&
            memcmp(marker->data, "Exif\0\0", 6) == 0) {
            return tl_jpeg_exif_orientation(marker->data, marker->data_length);
        }
    }
    return -1;
}

/* muldiv255(a, b) of Pillow: (a * b + 127) / 255 rounded, computed without a division. */
static int muldiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

static uint8_t clip8(int value) {
    return (uint8_t)(value < 0 ? 0 : value > 255 ? 255 : value);
}

/* One row of libjpeg's CMYK output to PIL's RGB (3 channels) or, through that RGB, to gray (1 channel)
 * with PIL's L weights (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16, as torchvision does. */
static void cmyk_row(const uint8_t *cmyk, uint8_t *out, uint32_t width, int channels) {
    for (uint32_t x = 0; x < width; x++) {
        const uint8_t *p = cmyk + (size_t)x * 4;
        int nk = p[3]; /* 255 - the inverted K that PIL stores */
        uint8_t rgb[3];
        for (int c = 0; c < 3; c++) {
            rgb[c] = clip8(nk - muldiv255(255 - p[c], nk));
        }
        if (channels == 3) {
            memcpy(out + (size_t)x * 3, rgb, 3);
        } else {
            out[x] = (uint8_t)((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
        }
    }
}

static void fill_header(j_decompress_ptr cinfo, tl_jpeg_header *header) {
    header->width = cinfo->image_width;
    header->height = cinfo->image_height;
    header->components = cinfo->num_components;
    header->color_space = color_code(cinfo->jpeg_color_space);
    header->progressive = cinfo->progressive_mode ? 1 : 0;
    header->adobe_transform = cinfo->saw_Adobe_marker ? cinfo->Adobe_transform : -1;
    header->orientation = orientation(cinfo);
}

/* The libjpeg calls; returns a status. A libjpeg error lands in the setjmp branch. `image` is NULL to
 * read the header only. */
static int run(decoder *d, const uint8_t *bytes, size_t length, int mode, uint64_t max_pixels,
               tl_jpeg_header *header, tl_jpeg_image *image) {
    if (setjmp(d->error.jump)) {
        return d->error.status;
    }
    jpeg_create_decompress(&d->cinfo);
    d->created = 1;
    d->cinfo.client_data = d;
    jpeg_mem_src(&d->cinfo, bytes, (unsigned long)length);
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);
    if (jpeg_read_header(&d->cinfo, TRUE) != JPEG_HEADER_OK) {
        set_message(d->error.message, "the file holds only tables (an abbreviated JPEG stream), no image");
        return TL_JPEG_CORRUPT;
    }
    fill_header(&d->cinfo, header);
    int components = d->cinfo.num_components;
    if (components != 1 && components != 3 && components != 4) {
        snprintf(d->error.message, TL_JPEG_MESSAGE_CAPACITY,
                 "%d components (only 1: gray, 3: YCbCr or RGB and 4: CMYK or YCCK are decoded)", components);
        return TL_JPEG_UNSUPPORTED;
    }
    uint64_t pixels = (uint64_t)d->cinfo.image_width * d->cinfo.image_height;
    if (pixels > max_pixels) {
        snprintf(d->error.message, TL_JPEG_MESSAGE_CAPACITY,
                 "%u x %u = %llu pixels exceeds the limit of %llu pixels", (unsigned)d->cinfo.image_width,
                 (unsigned)d->cinfo.image_height, (unsigned long long)pixels, (unsigned long long)max_pixels);
        return TL_JPEG_TOO_LARGE;
    }
    /* What the file could hold: Huffman coding spends at least one bit per 8x8 block of each component (a DC
     * difference code; a progressive AC scan can skip blocks with EOBRUN), so one byte carries at most 512 pixels
     * of one component. Twice that, plus 1 Mpx for tiny files, bounds what a file can justify before libjpeg
     * allocates its buffers (whole-image coefficients for a progressive file) and before ours. */
    uint64_t holdable = (uint64_t)length * 1024 + (1u << 20);
    if (image != NULL && pixels > holdable) {
        snprintf(d->error.message, TL_JPEG_MESSAGE_CAPACITY,
                 "%u x %u = %llu pixels is more than a %zu-byte file can hold (at most %llu)",
                 (unsigned)d->cinfo.image_width, (unsigned)d->cinfo.image_height, (unsigned long long)pixels, length,
                 (unsigned long long)holdable);
        return TL_JPEG_TOO_LARGE;
    }
    if (image == NULL) {
        return TL_JPEG_OK;
    }

    int channels = mode == TL_JPEG_MODE_GRAY || (mode == TL_JPEG_MODE_UNCHANGED && components == 1) ? 1 : 3;
    if (components == 4) {
        d->cinfo.out_color_space = JCS_CMYK;
    } else {
        d->cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    }
    d->cinfo.dct_method = JDCT_ISLOW;
    d->cinfo.do_fancy_upsampling = TRUE;
    d->progress.progress_monitor = on_progress;
    d->cinfo.progress = &d->progress;
    jpeg_start_decompress(&d->cinfo);

    uint32_t width = d->cinfo.output_width;
    uint32_t height = d->cinfo.output_height;
    size_t stride = (size_t)width * channels;
    d->data = (uint8_t *)malloc(stride * height);
    if (components == 4) {
        d->row = (uint8_t *)malloc((size_t)width * 4);
    }
    if (d->data == NULL || (components == 4 && d->row == NULL)) {
        set_message(d->error.message, "out of memory for the decoded samples");
        return TL_JPEG_OUT_OF_MEMORY;
    }
    while (d->cinfo.output_scanline < height) {
        uint8_t *target = d->data + (size_t)d->cinfo.output_scanline * stride;
        JSAMPROW rows[1] = {components == 4 ? d->row : target};
        if (jpeg_read_scanlines(&d->cinfo, rows, 1) != 1) {
            set_message(d->error.message, "libjpeg returned no scanline");
            return TL_JPEG_CORRUPT;
        }
        if (components == 4) {
            cmyk_row(d->row, target, width, channels);
        }
    }
    jpeg_finish_decompress(&d->cinfo);

    image->header = *header;
    image->channels = channels;
    image->size = stride * height;
    image->data = d->data;
    d->data = NULL;
    return TL_JPEG_OK;
}

/* Checks the signature, sets up the error manager and runs the decoder; frees everything it made. */
static int decode(const uint8_t *bytes, size_t length, int mode, uint64_t max_pixels, int max_scans,
                  tl_jpeg_header *header, tl_jpeg_image *image, char *message) {
    message[0] = '\0';
    if (length < 3 || bytes[0] != 0xFF || bytes[1] != 0xD8 || bytes[2] != 0xFF) {
        if (length == 0) {
            set_message(message, "the file is empty");
        } else if (length < 3) {
            set_message(message, "the file is shorter than the 3-byte JPEG signature FF D8 FF");
        } else {
            snprintf(message, TL_JPEG_MESSAGE_CAPACITY,
                     "the JPEG signature FF D8 FF is missing (the file starts with %02X %02X %02X)",
                     bytes[0], bytes[1], bytes[2]);
        }
        return TL_JPEG_NOT_JPEG;
    }
    decoder *d = (decoder *)calloc(1, sizeof(decoder));
    if (d == NULL) {
        set_message(message, "out of memory for the decoder");
        return TL_JPEG_OUT_OF_MEMORY;
    }
    d->cinfo.err = jpeg_std_error(&d->error.pub);
    d->error.pub.error_exit = on_error_exit;
    d->error.pub.emit_message = on_emit_message;
    d->error.pub.output_message = on_output_message;
    d->error.status = TL_JPEG_CORRUPT;
    d->error.length = length;
    d->error.message = message;
    d->max_scans = max_scans;
    int status = run(d, bytes, length, mode, max_pixels, header, image);
    if (d->created) {
        jpeg_destroy_decompress(&d->cinfo);
    }
    free(d->row);
    free(d->data);
    free(d);
    return status;
}

int tl_jpeg_decode(const uint8_t *bytes, size_t length, int mode, uint64_t max_pixels, int max_scans,
                   tl_jpeg_image *image, char *message) {
    memset(image, 0, sizeof *image);
    tl_jpeg_header header;
    memset(&header, 0, sizeof header);
    return decode(bytes, length, mode, max_pixels, max_scans, &header, image, message);
}

int tl_jpeg_read_header(const uint8_t *bytes, size_t length, tl_jpeg_header *header, char *message) {
    memset(header, 0, sizeof *header);
    return decode(bytes, length, TL_JPEG_MODE_UNCHANGED, UINT64_MAX, 0, header, NULL, message);
}

void tl_jpeg_image_free(tl_jpeg_image *image) {
    free(image->data);
    image->data = NULL;
    image->size = 0;
}

int tl_jpeg_library_version(void) {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
    return LIBJPEG_TURBO_VERSION_NUMBER;
#else
    return 0;
#endif
}
