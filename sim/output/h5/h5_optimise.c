/* The file of flyt optimise (flyt/optimise_file.h): small tables, one row
 * per configuration, under /optimise. */
#include "flyt/optimise_file.h"
#include "output/h5/h5_common.h"

struct opt_args {
    const struct flyt_opt_file *f;
    const struct flyt_run_meta *meta;
};

/* A double table of rank 2 or 3 (a row per configuration), written whole. */
static int write_table(struct flyt__h5 *c, hid_t g, const char *name, int rank, const hsize_t *dims,
                       const double *x, const char *units, const char *desc, const char *dimensions)
{
    size_t cols = 1;
    for (int i = 1; i < rank; i++)
        cols *= (size_t)dims[i];
    if (dims[0] == 0 || cols == 0)
        return 0;
    hid_t dcpl = flyt__h5_dcpl_chunks(c, rank, dims, dims);
    if (dcpl < 0)
        return flyt__h5_fail(c, g, name);
    hid_t d = flyt__h5_dset_create(c, g, name, H5T_IEEE_F64LE, rank, dims, dcpl, units, desc);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", dimensions) ||
             flyt__h5_write_rows(c, d, 0, (size_t)dims[0], cols, x);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, name);
    return rc;
}

static int write_ints(struct flyt__h5 *c, hid_t g, const char *name, size_t n, const int *v,
                      const char *units, const char *desc)
{
    return n ? flyt__h5_write_1d(c, g, name, H5T_STD_I32LE, H5T_NATIVE_INT, n, v, units, desc) : 0;
}

static int write_attrs(struct flyt__h5 *c, hid_t g, const struct flyt_opt_file *f)
{
    return flyt__h5_attr_str(c, g, "spec", f->spec_path) ||
           flyt__h5_attr_str(c, g, "spec_text", f->spec_text) ||
           flyt__h5_attr_str(c, g, "scenario", f->scenario_name) ||
           flyt__h5_attr_str(c, g, "procedure", f->procedure) ||
           flyt__h5_attr_str(c, g, "objective", f->objective) ||
           flyt__h5_attr_strs(c, g, "variables", f->var_keys, f->n_vars) ||
           (f->n_constraints &&
            flyt__h5_attr_strs(c, g, "constraints", f->constraint_kpis, f->n_constraints)) ||
           flyt__h5_attr_write(c, g, "chosen", H5T_STD_I32LE, H5T_NATIVE_INT, &f->chosen) ||
           flyt__h5_attr_write(c, g, "capped", H5T_STD_I32LE, H5T_NATIVE_INT, &f->capped) ||
           flyt__h5_attr_write(c, g, "first_stage", H5T_STD_U32LE, H5T_NATIVE_UINT, &f->n0) ||
           flyt__h5_attr_write(c, g, "max_replications", H5T_STD_U32LE, H5T_NATIVE_UINT,
                               &f->max_replications) ||
           flyt__h5_attr_write(c, g, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &f->seed) ||
           flyt__h5_attr_double(c, g, "alpha", f->alpha) ||
           flyt__h5_attr_double(c, g, "objective_indifference", f->indifference) ||
           flyt__h5_attr_double(c, g, "feasibility_beta", f->beta) ||
           flyt__h5_attr_double(c, g, "feasibility_h2", f->h2_feasibility) ||
           flyt__h5_attr_double(c, g, "selection_h2", f->h2_selection) ||
           flyt__h5_attr_str(c, g, "search", f->search) ||
           flyt__h5_attr_double(c, g, "space", f->n_space) ||
           flyt__h5_attr_write(c, g, "rounds", H5T_STD_U32LE, H5T_NATIVE_UINT, &f->rounds) ||
           flyt__h5_attr_write(c, g, "exhausted", H5T_STD_I32LE, H5T_NATIVE_INT, &f->exhausted) ||
           (f->n_terms > 0 &&
            (flyt__h5_attr_strs(c, g, "objective_kpis", f->term_kpis, f->n_terms) ||
             flyt__h5_write_1d(c, g, "objective_weights", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                               f->n_terms, f->weights, "",
                               "each objective KPI's weight (attribute "
                               "objective_kpis): the objective is their sum")));
}

static int write_body(struct flyt__h5 *c, hid_t g, const struct flyt_opt_file *f)
{
    size_t n = f->n_configs, L = f->n_constraints;
    hsize_t dv[2] = { n, f->n_vars }, ds[2] = { n, 3 }, dc[3] = { n, L, 3 }, dl = L;
    if (write_table(c, g, "values", 2, dv, f->values, "",
                    "configuration's value of each variable (attribute variables)",
                    "configuration, variable") ||
        write_ints(c, g, "replications", n, f->n_run, "replications",
                   "replications run (common random numbers: replication r of every "
                   "configuration sees the same patients)") ||
        write_ints(c, g, "replications_feasibility", n, f->n_feasible, "replications",
                   "replications when feasibility was decided") ||
        write_ints(c, g, "replications_selection", n, f->n_select, "replications",
                   "replications when the selection decided it; 0: not in the selection") ||
        flyt__h5_write_1d(c, g, "decision", c->str, c->str, n, f->decision, "",
                          "chosen, not distinguishable, eliminated, infeasible, undecided, "
                          "not reached") ||
        write_ints(c, g, "constraint", n, f->constraint, "",
                   "infeasible or undecided: the constraint's index; else -1") ||
        write_ints(c, g, "round", n, f->round, "",
                   "the round that first ran it: 0 the grid or the local search's start, k "
                   "the k-th neighbourhood") ||
        write_ints(c, g, "by", n, f->by, "",
                   "eliminated or not distinguishable: the configuration it lost to or tied "
                   "with; else -1") ||
        write_table(c, g, "objective", 2, ds, f->objective_stat, "",
                    "the objective over the replications run: mean, 95 % CI low, high",
                    "configuration, (mean, ci_low, ci_high)") ||
        write_table(c, g, "constraint_kpi", 3, dc, f->constraint_stat, "",
                    "each constraint's KPI over the replications run: mean, 95 % CI low, high",
                    "configuration, constraint, (mean, ci_low, ci_high)"))
        return -1;
    if (L == 0)
        return 0;
    return flyt__h5_write_1d(c, g, "bound", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dl, f->bound, "",
                             "each constraint's bound q") ||
                           flyt__h5_write_1d(c, g, "tolerance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                             dl, f->tolerance, "",
                                             "each constraint's tolerance epsilon") ||
                           write_ints(c, g, "upper", L, f->upper, "",
                                      "1: mean <= bound (max), 0: mean >= bound (min)")
                   ? -1
                   : 0;
}

static int fill_optimise(struct flyt__h5 *c, hid_t file, const void *arg)
{
    const struct opt_args *a = arg;
    if (flyt__h5_provenance(c, file, a->meta) || flyt__h5_attr_str(c, file, "kind", "optimise"))
        return -1;
    hid_t g = flyt__h5_group_create(c, file, "optimise");
    if (g < 0)
        return -1;
    return flyt__h5_close_group(c, g, write_attrs(c, g, a->f) || write_body(c, g, a->f) ? -1 : 0);
}

int flyt_h5_write_optimise(const char *path, const struct flyt_opt_file *f,
                           const struct flyt_run_meta *meta, char *err, size_t errlen)
{
    const struct opt_args a = { f, meta };
    return flyt__h5_write_file(path, fill_optimise, &a, err, errlen);
}
