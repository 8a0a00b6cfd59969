/*
 * The HDF5 file of flyt fit (docs/hdf5-layout.md, "Fit file"), written by
 * the output module from a fit (flyt/fit.h).
 */
#ifndef FLYT_FIT_FILE_H
#define FLYT_FIT_FILE_H

#include "flyt/fit.h"
#include "flyt/output.h"

/* The estimates, the fit statistics, Kaplan-Meier and fitted survival
 * curves, the daily arrivals, the notes, the base and fitted scenario
 * texts; written atomically. Returns 0, or -1 with a message in err. */
int flyt_h5_write_fit(const char *path, const struct flyt_fit *f, const char *base_text,
                      const char *fitted_text, const char *const *record_paths, int n_paths,
                      const struct flyt_run_meta *meta, char *err, size_t errlen);

#endif
