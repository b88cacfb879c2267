/*
 * jpegexif.h - the EXIF Orientation tag of an APP1 payload (private to the CJPEGCodec target).
 */
#ifndef TL_JPEGEXIF_H
#define TL_JPEGEXIF_H

#include <stddef.h>
#include <stdint.h>

/* The value of tag 0x0112 (Orientation, SHORT or LONG) in IFD0 of the APP1 payload `data`, which must
 * start with "Exif\0\0" and a TIFF header ("II*\0" or "MM\0*"); -1 when the payload is not Exif, the
 * tag is absent or has another type, or an offset points outside the payload. Reads only inside
 * data[0 ..< length]. */
int32_t tl_jpeg_exif_orientation(const uint8_t *data, size_t length);

#endif
