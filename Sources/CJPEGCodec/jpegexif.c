/*
 * jpegexif.c - finds the EXIF Orientation tag in an APP1 payload, with every read bounds-checked.
 *
 * Layout (EXIF 2.32, TIFF 6.0): "Exif\0\0", then a TIFF header - byte order "II" (little endian) or
 * "MM" (big endian), the number 42, the offset of IFD0 from the TIFF header - and IFD0: a 16-bit entry
 * count followed by 12-byte entries (tag, type, count, value or offset). A SHORT (type 3) value sits
 * in the first two bytes of the value field, a LONG (type 4) fills it.
 */
#include "jpegexif.h"

#include <string.h>

static uint32_t read_unsigned(const uint8_t *p, int bytes, int little_endian) {
    uint32_t value = 0;
    for (int i = 0; i < bytes; i++) {
        uint32_t byte = p[little_endian ? bytes - 1 - i : i];
        value = (value << 8) | byte;
    }
    return value;
}

int32_t tl_jpeg_exif_orientation(const uint8_t *data, size_t length) {
    static const uint8_t exif[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (data == NULL || length < sizeof exif + 8 || memcmp(data, exif, sizeof exif) != 0) {
        return -1;
    }
    const uint8_t *tiff = data + sizeof exif;
    size_t size = length - sizeof exif;
    int little_endian;
    if (tiff[0] == 'I' && tiff[1] == 'I') {
        little_endian = 1;
    } else if (tiff[0] == 'M' && tiff[1] == 'M') {
        little_endian = 0;
    } else {
        return -1;
    }
    if (read_unsigned(tiff + 2, 2, little_endian) != 42) {
        return -1;
    }
    uint32_t ifd = read_unsigned(tiff + 4, 4, little_endian);
    if (ifd > size || size - ifd < 2) {
        return -1;
    }
    uint32_t count = read_unsigned(tiff + ifd, 2, little_endian);
    for (uint32_t i = 0; i < count; i++) {
        size_t entry = (size_t)ifd + 2 + (size_t)i * 12;
        if (entry > size || size - entry < 12) {
            return -1;
        }
        if (read_unsigned(tiff + entry, 2, little_endian) != 0x0112) {
            continue;
        }
        uint32_t type = read_unsigned(tiff + entry + 2, 2, little_endian);
        if (type == 3) {
            return (int32_t)read_unsigned(tiff + entry + 8, 2, little_endian);
        }
        if (type == 4) {
            uint32_t value = read_unsigned(tiff + entry + 8, 4, little_endian);
            return value > INT32_MAX ? -1 : (int32_t)value;
        }
        return -1;
    }
    return -1;
}
