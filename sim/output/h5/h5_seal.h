/*
 * Internal to the output module: a SHA-256 seal on a whole file.
 *
 * A sweep or shard file travels (from a cluster's scratch disk, over
 * networks, between Slurm jobs) before `flyt merge` reads it, and HDF5
 * 1.10 trusts what it reads: one flipped bit can crash it (a heap address
 * in a variable-length string) or turn into a wrong value with no error.
 * So the writer appends a trailer with the SHA-256 of every byte before
 * it, and the reader checks it before HDF5 sees a single byte; the HDF5
 * library ignores bytes after the end it recorded, so h5py, h5dump and
 * every other reader still open the file as it is.
 *
 * Trailer (FLYT_SEAL_BYTES): "\nflyt-seal sha256 " + 64 hex digits + "\n".
 */
#ifndef FLYT_OUTPUT_H5_SEAL_H
#define FLYT_OUTPUT_H5_SEAL_H

#include <stddef.h>

#define FLYT_SEAL_PREFIX "\nflyt-seal sha256 "
#define FLYT_SEAL_BYTES  (sizeof FLYT_SEAL_PREFIX - 1 + 64 + 1)

/* The trailer for the n bytes at data, NUL-terminated. */
void flyt__seal_trailer(const void *data, size_t n, char out[FLYT_SEAL_BYTES + 1]);

/* Reads the whole file at path and checks its seal. Returns 0 with the
 * content before the seal in *image (malloc'd) and *size; -1 with why in
 * err ("no seal", "checksum does not match", or the system's reason). */
int flyt__seal_read(const char *path, void **image, size_t *size, char *err, size_t errlen);

/* Checks the seal of an image held in memory (data, n bytes, trailer
 * included); returns the length before the seal, or 0 when it is not
 * sealed or the checksum fails (with why in err). */
size_t flyt__seal_check(const void *data, size_t n, char *err, size_t errlen);

#endif
