/* CRC-32 (reflected polynomial 0xEDB88320, as zlib), bitwise with a 16-entry table to stay small. */
#include "format/format.h"
#include "nnom/model.h"

uint32_t nnom_crc32(uint32_t crc, const void *data, size_t size)
{
    static const uint32_t nibble[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    for (size_t i = 0; i < size; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nibble[crc & 15u];
        crc = (crc >> 4) ^ nibble[crc & 15u];
    }
    return ~crc;
}

uint32_t nnom_file_crc(const uint8_t *file, uint32_t size)
{
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t crc = nnom_crc32(0, file, NNOM_HDR_CHECKSUM);
    crc = nnom_crc32(crc, zero, 4);
    return nnom_crc32(crc, file + NNOM_HDR_CHECKSUM + 4, size - NNOM_HDR_CHECKSUM - 4);
}
