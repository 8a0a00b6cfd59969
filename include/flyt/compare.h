/*
 * flyt compare: a variant scenario against a base, replication by
 * replication.
 *
 * Both scenarios run with the same seed and replication numbers, so
 * replication r of each sees the same patients (common random numbers) and
 * the difference d_r = variant_r - base_r is mostly the effect of the change,
 * not of the patients. The paired interval of the mean of d_r is then much
 * narrower than an interval that treats the two samples as independent; the
 * figures here give both, and how much variance the pairing removed.
 *
 * All intervals are two-sided 95 % Student-t. A figure that is undefined
 * (no pairs, too few pairs, zero variance in a ratio) is NaN.
 */
#ifndef FLYT_COMPARE_H
#define FLYT_COMPARE_H

#include "flyt/result.h"

#include <stddef.h>

/* One figure compared. base and variant are each over their own finite
 * values (what `flyt run` reports for them); everything else is over the
 * pairs, the replications where both are finite. */
struct flyt_paired {
    struct flyt_stat base, variant;
    struct flyt_stat diff;     /* of d_r: mean, sd, paired 95 % half-width, pairs */
    double unpaired_half;      /* Welch 95 % half-width of mean(v) - mean(b), same pairs */
    double variance_reduction; /* 1 - var(d) / (var(b) + var(v)), same pairs */
};

/* Compares variant[0..n-1] with base[0..n-1]. d (NULL or n long) receives
 * d_r, NaN where either value is not finite. */
struct flyt_paired flyt_paired_of(const double *base, const double *variant, size_t n, double *d);

/* True when the paired interval of the difference lies wholly on one side
 * of 0 (a difference the replications resolve). */
int flyt_paired_excludes_zero(const struct flyt_paired *p);

/* One side of a comparison: results[0..n_rep-1] and the names of its
 * coordinator roles (index i is role_kpi[i] of each result; borrowed). */
struct flyt_compare_side {
    const struct flyt_result *results;
    unsigned n_roles;
    const char *role_name[FLYT_MAX_ROLES_RESULT];
    unsigned n_units;
    const char *const *unit_id; /* [n_units], borrowed; results' unit u is unit_id[u] */
    unsigned n_munis;
    const char *const *muni_id; /* [n_munis], borrowed: a region's municipalities */
};

/* A coordinator role compared by name. When only one side has it, the
 * other side's index is -1 and only that side's stat is filled; the rest of
 * each flyt_paired is NaN with n 0. */
struct flyt_compare_role {
    const char *name; /* borrowed from a side */
    int base_index, variant_index;
    struct flyt_paired kpi[FLYT_N_ROLE_KPI];
    double *diff; /* [n_rep x FLYT_N_ROLE_KPI], row-major; NULL unless both have it */
};

/* Roles: the variant's in its order, then those only the base has. */
/* A unit of either side, matched by id: as a role. */
struct flyt_compare_unit {
    const char *id; /* borrowed from a side */
    int base_index, variant_index;
    struct flyt_paired kpi[FLYT_N_UNIT_KPI];
    double *diff; /* [n_rep x FLYT_N_UNIT_KPI], row-major; NULL unless both have it */
};

/* A region's municipality of either side, matched by id: every KPI. A
 * change in one municipality shows its effect there and its spill-over on
 * the others through what they share (docs/region.md). */
struct flyt_compare_muni {
    const char *id; /* borrowed from a side */
    int base_index, variant_index;
    struct flyt_paired kpi[FLYT_N_KPI];
    double *diff; /* [n_rep x FLYT_N_KPI], row-major; NULL unless both have it */
};

struct flyt_compare {
    size_t n_rep;
    struct flyt_paired kpi[FLYT_N_KPI];
    double *diff; /* [n_rep x FLYT_N_KPI], row-major; owned */
    unsigned n_roles;
    struct flyt_compare_role role[2 * FLYT_MAX_ROLES_RESULT];
    unsigned n_units;
    struct flyt_compare_unit *unit; /* the variant's units in its order, then the base's it lacks */
    unsigned n_munis;
    struct flyt_compare_muni *muni; /* as units */
};

/* Fills c (caller's storage). Returns 0, or -1 when out of memory (c then
 * holds nothing to free). Free with flyt_compare_free. */
int flyt_compare_compute(struct flyt_compare *c, const struct flyt_compare_side *base,
                         const struct flyt_compare_side *variant, size_t n_rep);

/* Frees what c owns, not c; safe on a zeroed struct. */
void flyt_compare_free(struct flyt_compare *c);

#endif
