/**
 * @file api.h
 * @brief Version numbers, the .nnom format version the runtime reads, and the
 *        export marker of the public functions. Every nnom header includes it.
 *
 * ABI rules the public headers follow (docs/design-notes.md, "A stable C ABI"):
 *  - every public enum ends with a `..._FORCE_32BIT = 0x7FFFFFFF` member, so
 *    that it is 4 bytes wide whether or not the compiler packs enums
 *    (arm-none-eabi-gcc does, -fshort-enums): a struct holding one has the
 *    same layout in a library and in a program built with other flags;
 *  - structs that will grow start with `uint32_t struct_size`, set by their
 *    init function or macro (nnom_options_init(), NNOM_OPTIONS_INIT, ...) to
 *    the size the caller was compiled with; functions taking them refuse a
 *    size they do not know (NNOM_ERR_ARGUMENT), so a new field is never read
 *    from a caller that did not write it;
 *  - only the functions declared with NNOM_API are exported from libnnom.so.
 */
#ifndef NNOM_API_H
#define NNOM_API_H

/** Major version of the library (CMake's project version is read from these three). */
#define NNOM_VERSION_MAJOR 0
/** Minor version of the library, below 100. */
#define NNOM_VERSION_MINOR 1
/** Patch version of the library, below 100. */
#define NNOM_VERSION_PATCH 0
/** Version of the headers as one number, major * 10000 + minor * 100 + patch (nnom_version() gives the library's). */
#define NNOM_VERSION (NNOM_VERSION_MAJOR * 10000 + NNOM_VERSION_MINOR * 100 + NNOM_VERSION_PATCH)

/**
 * Version of the .nnom format this runtime reads and writes: it reads files
 * of major version NNOM_FORMAT_VERSION_MAJOR and a minor version up to
 * NNOM_FORMAT_VERSION_MINOR (older minors are subsets of newer ones). A
 * weights.h written by the converter checks these at compile time.
 */
#define NNOM_FORMAT_VERSION_MAJOR 1
/** Newest minor version of the .nnom format this runtime reads (see NNOM_FORMAT_VERSION_MAJOR). */
#define NNOM_FORMAT_VERSION_MINOR 11

/** Marks a function of the public API: the only symbols libnnom.so exports
 *  (the library is built with -fvisibility=hidden). */
#if defined(_WIN32) || defined(__CYGWIN__)
#define NNOM_API
#elif defined(__GNUC__) || defined(__clang__)
#define NNOM_API __attribute__((visibility("default")))
#else
#define NNOM_API
#endif

/** The value that makes every public enum 4 bytes wide under -fshort-enums too. */
#define NNOM_ENUM_FORCE_32BIT 0x7FFFFFFF

#endif /* NNOM_API_H */
