#ifndef TL_CHDF5_SHIM_H
#define TL_CHDF5_SHIM_H
#include <hdf5.h>
#include <string.h>

// HDF5's type and property constants are macros that expand to H5OPEN expressions, which Swift
// cannot import. Each is re-exported here as a static inline function.
static inline hid_t shim_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t shim_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t shim_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t shim_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t shim_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t shim_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t shim_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t shim_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t shim_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t shim_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t shim_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned shim_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned shim_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned shim_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline size_t shim_H5T_VARIABLE(void) { return H5T_VARIABLE; }
// The default error stack; `H5Eset_auto2(shim_H5E_DEFAULT(), NULL, NULL)` stops HDF5 printing its own errors.
static inline hid_t shim_H5E_DEFAULT(void) { return H5E_DEFAULT; }

// Reading a variable-length string attribute's stored bytes without following them.
//
// libhdf5 1.10.8 trusts a variable-length string's stored length and global heap reference: H5Aread converts
// through H5T__conv_vlen, which sizes its buffer from the stored length and lets H5HG_read memcpy the heap object's
// own (possibly larger) size into it, and indexes the heap's object table without a bounds check. To check those
// before H5Aread, the stored element - a 4-byte length, the global heap collection's address, a 4-byte object
// index - is read as an opaque type tagged SHIM_RAW_VLEN_STRING_TAG through a conversion that copies the bytes as
// they are (registered once with `shim_register_raw_vlen_string_conversion`).
#define SHIM_RAW_VLEN_STRING_TAG "workbench.raw-variable-length-string"

static inline int shim_is_raw_vlen_string_type(hid_t type) {
    if (H5Tget_class(type) != H5T_OPAQUE) return 0;
    char *tag = H5Tget_tag(type);
    if (tag == NULL) return 0;
    int matches = strcmp(tag, SHIM_RAW_VLEN_STRING_TAG) == 0;
    H5free_memory(tag);
    return matches;
}

// An H5T_conv_t: variable-length string (as stored in the file) -> the tagged opaque type, copying each stored
// element's bytes and zeroing the rest of the opaque element. Refuses (at init) any other pair of types.
static inline herr_t shim_raw_vlen_string_conversion(
    hid_t source, hid_t destination, H5T_cdata_t *cdata, size_t count, size_t buffer_stride,
    size_t background_stride, void *buffer, void *background, hid_t transfer) {
    (void)background_stride;
    (void)background;
    (void)transfer;
    switch (cdata->command) {
    case H5T_CONV_INIT:
        if (H5Tis_variable_str(source) <= 0 || !shim_is_raw_vlen_string_type(destination)
            || H5Tget_size(destination) < H5Tget_size(source))
            return -1;
        cdata->need_bkg = H5T_BKG_NO;
        return 0;
    case H5T_CONV_CONV: {
        size_t source_size = H5Tget_size(source), destination_size = H5Tget_size(destination);
        if (source_size == 0 || destination_size < source_size) return -1;
        size_t source_step = buffer_stride ? buffer_stride : source_size;
        size_t destination_step = buffer_stride ? buffer_stride : destination_size;
        // In place, from the last element back, so no element is overwritten before it is moved.
        for (size_t index = count; index > 0; index--) {
            unsigned char *from = (unsigned char *)buffer + (index - 1) * source_step;
            unsigned char *to = (unsigned char *)buffer + (index - 1) * destination_step;
            memmove(to, from, source_size);
            memset(to + source_size, 0, destination_size - source_size);
        }
        return 0;
    }
    case H5T_CONV_FREE:
        return 0;
    default:
        return -1;
    }
}

// Registers the conversion above as a soft conversion (any variable-length type -> opaque; its init accepts only
// a variable-length string -> the tagged type). Returns a negative value on failure.
static inline herr_t shim_register_raw_vlen_string_conversion(hid_t string_type, hid_t raw_type) {
    return H5Tregister(H5T_PERS_SOFT, "workbench raw vlen string", string_type, raw_type,
                       shim_raw_vlen_string_conversion);
}

#endif
