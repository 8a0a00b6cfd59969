#include "flyt/outfile.h"
#include "flyt/output.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <hdf5.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_RES  3
#define N_DAYS 5

struct fixture {
    char dir[64];
    char path[128];
    struct flyt_scenario *s;
    struct flyt_result res[N_RES];
    struct flyt_summary sum;
    struct flyt_run_meta meta;
};

/* Series k of replication i on day d holds 100 i + 10 k + d. */
static double series_value(size_t i, int k, size_t d)
{
    return 100.0 * (double)i + 10.0 * k + (double)d;
}

static void fill_results(struct fixture *f, size_t n_days)
{
    for (size_t i = 0; i < N_RES; i++) {
        struct flyt_result *r = &f->res[i];
        r->replication = (unsigned)i;
        r->n_days = n_days;
        r->model_events = 1000 + i;
        r->engine_events = 5000 + i;
        for (int k = 0; k < FLYT_N_KPI; k++)
            r->kpi[k] = (double)i + 0.5 * k;
        for (int k = 0; k < FLYT_N_SERIES; k++) {
            r->series[k] = calloc(n_days + 1, sizeof(double));
            assert_non_null(r->series[k]);
            for (size_t d = 0; d < n_days; d++)
                r->series[k][d] = series_value(i, k, d);
        }
    }
    /* Nobody complex finished waiting in replication 1. */
    f->res[1].kpi[FLYT_KPI_ukp_wait_mean_complex] = NAN;
    flyt_summary_compute(&f->sum, f->res, N_RES);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/flyt_test_output_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/run.h5", f->dir);
    struct flyt_scenario *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->name = strdup("unit \"test\" scenario");
    s->description = strdup("a scenario built by hand");
    s->source = strdup("<test>");
    s->text = strdup("run: { seed = 42L; };\n");
    s->resolved_text = strdup("run :\n{\n  seed = 42L;\n};\n");
    s->start_year = 2025;
    s->start_month = 1;
    s->start_mday = 6;
    s->horizon_days = 3650;
    s->warmup_days = 365;
    s->replications = N_RES;
    s->seed = 0xfedcba9876543210ULL;
    f->s = s;
    f->meta = (struct flyt_run_meta){ "0.1.0-test", "flyt run --test", 2, 1.25 };
    fill_results(f, N_DAYS);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    for (size_t i = 0; i < N_RES; i++)
        flyt_result_free(&f->res[i]);
    free(f->s->name);
    free(f->s->description);
    free(f->s->source);
    free(f->s->text);
    free(f->s->resolved_text);
    free(f->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int write_run(struct fixture *f, const char *path, char *err, size_t errlen)
{
    return flyt_h5_write_run(path, f->s, f->res, N_RES, &f->sum, &f->meta, err, errlen);
}

static void write_ok(struct fixture *f)
{
    char err[512] = "";
    int rc = write_run(f, f->path, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "write failed: %s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
}

static hid_t open_file(const char *path)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    return file;
}

/* The string attribute name of obj, copied into buf. */
static void read_str_attr(hid_t file, const char *obj, const char *name, char *buf, size_t len)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    assert_true(H5Tset_size(t, H5T_VARIABLE) >= 0);
    assert_true(H5Tset_cset(t, H5T_CSET_UTF8) >= 0);
    char *v = NULL;
    assert_true(H5Aread(a, t, &v) >= 0);
    assert_non_null(v);
    snprintf(buf, len, "%s", v);
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
}

static void read_attr(hid_t file, const char *obj, const char *name, hid_t mtype, void *v)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Aread(a, mtype, v) >= 0);
    H5Aclose(a);
}

/* Reads a whole dataset into buf (cap elements of mtype); returns its dims. */
static int read_dset(hid_t file, const char *name, hid_t mtype, void *buf, hsize_t cap,
                     hsize_t dims[2])
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(sp);
    assert_true(rank >= 1 && rank <= 2);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    assert_true((hsize_t)H5Sget_simple_extent_npoints(sp) <= cap);
    if (H5Sget_simple_extent_npoints(sp) > 0)
        assert_true(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    return rank;
}

/* Reads the field `field` of the 1-D compound dataset `name` as mtype (an
 * element of es bytes) into buf (cap elements); returns the row count. */
static hsize_t read_field(hid_t file, const char *name, const char *field, hid_t mtype, size_t es,
                          void *buf, hsize_t cap)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d);
    assert_int_equal(H5Tget_class(ft), H5T_COMPOUND);
    assert_true(H5Tget_member_index(ft, field) >= 0);
    hsize_t n = 0;
    assert_int_equal(H5Sget_simple_extent_ndims(sp), 1);
    H5Sget_simple_extent_dims(sp, &n, NULL);
    assert_true(n <= cap);
    hid_t mt = H5Tcreate(H5T_COMPOUND, es);
    assert_true(mt >= 0 && H5Tinsert(mt, field, 0, mtype) >= 0);
    assert_true(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Tclose(ft);
    H5Dclose(d);
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void partial_of(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "%s.partial", path);
}

static void writes_format_and_provenance_attributes(void **state)
{
    struct fixture *f = *state;
    char buf[256];
    int version = 0;
    uint64_t seed = 0;
    write_ok(f);
    hid_t file = open_file(f->path);
    read_str_attr(file, "/", "format", buf, sizeof buf);
    assert_string_equal(buf, FLYT_H5_FORMAT);
    read_attr(file, "/", "format_version", H5T_NATIVE_INT, &version);
    assert_int_equal(version, FLYT_H5_FORMAT_VERSION);
    read_attr(file, "/", "seed", H5T_NATIVE_UINT64, &seed);
    assert_true(seed == 0xfedcba9876543210ULL);
    read_str_attr(file, "/", "scenario_name", buf, sizeof buf);
    assert_string_equal(buf, "unit \"test\" scenario");
    read_str_attr(file, "/", "scenario_text", buf, sizeof buf);
    assert_string_equal(buf, f->s->text);
    read_str_attr(file, "/", "start_date", buf, sizeof buf);
    assert_string_equal(buf, "2025-01-06");
    read_str_attr(file, "/", "hdf5_version", buf, sizeof buf);
    assert_true(strncmp(buf, "1.", 2) == 0);
    read_str_attr(file, "/", "created_utc", buf, sizeof buf);
    assert_int_equal(strlen(buf), 20);
    assert_true(buf[10] == 'T' && buf[19] == 'Z');
    H5Fclose(file);
}

static void writes_one_value_per_replication_for_each_kpi(void **state)
{
    struct fixture *f = *state;
    double x[N_RES];
    uint64_t ev[N_RES];
    char units[64];
    write_ok(f);
    hid_t file = open_file(f->path);
    const char *rep = "/replications"; /* a row per replication, a field per KPI */
    assert_int_equal(read_field(file, rep, "ukp_wait_mean", H5T_NATIVE_DOUBLE, 8, x, N_RES), N_RES);
    for (size_t i = 0; i < N_RES; i++)
        assert_near(x[i], f->res[i].kpi[FLYT_KPI_ukp_wait_mean], 0.0);
    read_field(file, rep, "ukp_wait_mean_complex", H5T_NATIVE_DOUBLE, 8, x, N_RES);
    assert_true(isnan(x[1]));
    read_field(file, rep, "engine_events", H5T_NATIVE_UINT64, 8, ev, N_RES);
    assert_true(ev[2] == 5002);
    /* the attribute units has an entry per field, in the fields' order */
    hid_t d = H5Dopen2(file, rep, H5P_DEFAULT), ft = H5Dget_type(d);
    int k = H5Tget_member_index(ft, "ukp_cost_per_year");
    char *u[5 + FLYT_N_KPI] = { 0 };
    assert_int_equal(H5Tget_nmembers(ft), 5 + FLYT_N_KPI);
    hid_t a = H5Aopen(d, "units", H5P_DEFAULT), st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    H5Tset_cset(st, H5T_CSET_UTF8);
    assert_true(k >= 0 && H5Aread(a, st, u) >= 0);
    snprintf(units, sizeof units, "%s", u[k]);
    assert_string_equal(units, "NOK/year");
    for (int i = 0; i < 5 + FLYT_N_KPI; i++)
        H5free_memory(u[i]);
    H5Tclose(st);
    H5Aclose(a);
    H5Tclose(ft);
    H5Dclose(d);
    H5Fclose(file);
}

static void writes_series_as_replication_by_day(void **state)
{
    struct fixture *f = *state;
    double x[N_RES * N_DAYS], first_day = 0;
    hsize_t dims[2];
    char buf[64];
    write_ok(f);
    hid_t file = open_file(f->path);
    assert_int_equal(
            read_dset(file, "/series/coord_queue", H5T_NATIVE_DOUBLE, x, N_RES * N_DAYS, dims), 2);
    assert_int_equal(dims[0], N_RES);
    assert_int_equal(dims[1], N_DAYS);
    for (size_t i = 0; i < N_RES; i++)
        for (size_t d = 0; d < N_DAYS; d++)
            assert_near(x[i * N_DAYS + d], series_value(i, FLYT_SERIES_coord_queue, d), 0.0);
    read_attr(file, "/series/coord_queue", "first_day", H5T_NATIVE_DOUBLE, &first_day);
    assert_near(first_day, 365.0, 0.0);
    read_str_attr(file, "/series/arrivals", "sampling", buf, sizeof buf);
    assert_string_equal(buf, "count during the day");
    read_str_attr(file, "/series/coord_queue", "sampling", buf, sizeof buf);
    assert_string_equal(buf, "census at 00:00");
    H5Fclose(file);
}

static void pads_a_replication_stopped_early_with_nan(void **state)
{
    struct fixture *f = *state;
    double x[N_RES * N_DAYS];
    hsize_t dims[2];
    f->res[2].n_days = 2;
    f->res[2].status = FLYT_RUN_RUNAWAY;
    write_ok(f);
    hid_t file = open_file(f->path);
    read_dset(file, "/series/ukp_waiting", H5T_NATIVE_DOUBLE, x, N_RES * N_DAYS, dims);
    assert_int_equal(dims[1], N_DAYS);
    assert_near(x[2 * N_DAYS + 1], series_value(2, FLYT_SERIES_ukp_waiting, 1), 0.0);
    assert_true(isnan(x[2 * N_DAYS + 2]));
    assert_true(isnan(x[2 * N_DAYS + 4]));
    H5Fclose(file);
}

static void writes_empty_series_when_there_are_no_days(void **state)
{
    struct fixture *f = *state;
    double x[1];
    hsize_t dims[2];
    for (size_t i = 0; i < N_RES; i++)
        f->res[i].n_days = 0;
    write_ok(f);
    hid_t file = open_file(f->path);
    read_dset(file, "/series/hospital_treatment", H5T_NATIVE_DOUBLE, x, 1, dims);
    assert_int_equal(dims[0], N_RES);
    assert_int_equal(dims[1], 0);
    H5Fclose(file);
}

static void summary_counts_only_finite_replications(void **state)
{
    struct fixture *f = *state;
    unsigned n[FLYT_N_KPI];
    double mean[FLYT_N_KPI], lo[FLYT_N_KPI];
    hsize_t dims[2];
    write_ok(f);
    hid_t file = open_file(f->path);
    read_dset(file, "/summary/n", H5T_NATIVE_UINT, n, FLYT_N_KPI, dims);
    assert_int_equal(dims[0], FLYT_N_KPI);
    assert_int_equal(n[FLYT_KPI_ukp_wait_mean_complex], 2);
    assert_int_equal(n[FLYT_KPI_arrivals], N_RES);
    read_dset(file, "/summary/mean", H5T_NATIVE_DOUBLE, mean, FLYT_N_KPI, dims);
    assert_near(mean[FLYT_KPI_arrivals], 1.0, 1e-12);
    read_dset(file, "/summary/ci95_low", H5T_NATIVE_DOUBLE, lo, FLYT_N_KPI, dims);
    /* the t-interval would reach below 0: the file has the log-scale one */
    assert_true(1.0 - f->sum.ci_half[FLYT_KPI_arrivals] < 0);
    assert_near(lo[FLYT_KPI_arrivals], f->sum.ci_low[FLYT_KPI_arrivals], 1e-12);
    assert_true(lo[FLYT_KPI_arrivals] > 0 && lo[FLYT_KPI_arrivals] < 1.0);
    H5Fclose(file);
}

static void summary_names_its_rows(void **state)
{
    struct fixture *f = *state;
    char *names[FLYT_N_KPI];
    hsize_t dims[2];
    write_ok(f);
    hid_t file = open_file(f->path);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    read_dset(file, "/summary/kpi", t, names, FLYT_N_KPI, dims);
    assert_string_equal(names[FLYT_KPI_ukp_days_per_year], "ukp_days_per_year");
    for (int k = 0; k < FLYT_N_KPI; k++)
        H5free_memory(names[k]);
    H5Tclose(t);
    H5Fclose(file);
}

static void leaves_no_partial_file_after_success(void **state)
{
    struct fixture *f = *state;
    char partial[160];
    write_ok(f);
    write_ok(f); /* overwriting an earlier run works too */
    partial_of(partial, sizeof partial, f->path);
    assert_true(exists(f->path));
    assert_false(exists(partial));
}

static void fails_with_a_message_in_a_missing_directory(void **state)
{
    struct fixture *f = *state;
    char path[160], dir[140], err[512] = "";
    snprintf(dir, sizeof dir, "%s/no/such/dir", f->dir);
    snprintf(path, sizeof path, "%s/run.h5", dir);
    assert_int_equal(write_run(f, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot write"));
    assert_non_null(strstr(err, "run.h5"));
    assert_non_null(strstr(err, "No such file or directory"));
    assert_false(exists(dir));
}

static void file_content(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = fread(buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

static void put_precious_file(const char *path)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("precious earlier results\n", fp);
    fclose(fp);
}

static void refuses_to_replace_a_file_flyt_did_not_write(void **state)
{
    struct fixture *f = *state;
    char err[512] = "", buf[128];
    put_precious_file(f->path);
    assert_int_equal(write_run(f, f->path, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a flyt output"));
    file_content(f->path, buf, sizeof buf);
    assert_string_equal(buf, "precious earlier results\n");
}

/* Nothing but the output itself: no temporary or lock file left. */
static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* A file-size limit makes write() fail part-way, as a full disk would. */
static void failed_write_keeps_the_existing_file_and_no_partial(void **state)
{
    struct fixture *f = *state;
    char partial[160], err[512] = "", buf[128], before[128];
    struct rlimit old, small;
    write_ok(f); /* an earlier flyt output */
    file_content(f->path, before, sizeof before);
    int n_files = files_in(f->dir);
    partial_of(partial, sizeof partial, f->path);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 2048;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = write_run(f, f->path, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "File too large"));
    file_content(f->path, buf, sizeof buf);
    assert_memory_equal(buf, before, sizeof buf);
    assert_int_equal(files_in(f->dir), n_files);
    /* every handle the writer opened is closed again */
    assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* ---- text outputs through a stream (flyt_out_write) ---- */

static int census_text(FILE *f, const void *arg)
{
    fprintf(f, "# census_date: 2025-01-01\n%s\n", (const char *)arg);
    return 0;
}

static int fails_half_way(FILE *f, const void *arg)
{
    (void)arg;
    fputs("# census_date: 2025-01-02\nhalf a file", f);
    return -1;
}

static int writes_64k(FILE *f, const void *arg)
{
    (void)arg;
    fputs("# census_date: 2025-01-03\n", f);
    for (int i = 0; i < 1024; i++)
        fputs("0123456789012345678901234567890123456789012345678901234567890123", f);
    return 0;
}

/* A text output is whole or not there: the body's own failure, and a
 * write that fails part-way (a file-size limit, as a full disk), leave
 * the earlier file as it was and nothing beside it; the two-step form
 * leaves the target alone until it is committed. */
static void text_outputs_are_whole_or_not_at_all(void **state)
{
    struct fixture *f = *state;
    char path[160], err[512] = "", buf[256];
    snprintf(path, sizeof path, "%s/census.csv", f->dir);
    assert_int_equal(flyt_out_write(path, FLYT_OUT_CENSUS, census_text, "first", err, sizeof err),
                     0);
    file_content(path, buf, sizeof buf);
    assert_string_equal(buf, "# census_date: 2025-01-01\nfirst\n");
    int n_files = files_in(f->dir);

    assert_int_equal(flyt_out_write(path, FLYT_OUT_CENSUS, fails_half_way, NULL, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "cannot write"));
    file_content(path, buf, sizeof buf);
    assert_string_equal(buf, "# census_date: 2025-01-01\nfirst\n");
    assert_int_equal(files_in(f->dir), n_files);

    struct rlimit old, small;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = flyt_out_write(path, FLYT_OUT_CENSUS, writes_64k, NULL, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "File too large"));
    file_content(path, buf, sizeof buf);
    assert_string_equal(buf, "# census_date: 2025-01-01\nfirst\n");
    assert_int_equal(files_in(f->dir), n_files);

    const char *tmp = NULL;
    assert_int_equal(flyt_out_write_temp(path, FLYT_OUT_CENSUS, census_text, "second", &tmp, err,
                                         sizeof err),
                     0);
    assert_non_null(tmp);
    file_content(tmp, buf, sizeof buf);
    assert_string_equal(buf, "# census_date: 2025-01-01\nsecond\n");
    file_content(path, buf, sizeof buf);
    assert_string_equal(buf, "# census_date: 2025-01-01\nfirst\n");
    assert_int_equal(flyt_out_commit(path, err, sizeof err), 0);
    file_content(path, buf, sizeof buf);
    assert_string_equal(buf, "# census_date: 2025-01-01\nsecond\n");
    assert_int_equal(files_in(f->dir), n_files);
}

static int claim(const char *path, const char *const *inputs, size_t n, char *err)
{
    return flyt_out_claim(path, FLYT_OUT_HDF5, inputs, n, err, 512);
}

static void claim_refuses_what_is_not_an_output_file(void **state)
{
    struct fixture *f = *state;
    char err[512] = "", path[200];
    assert_int_equal(claim("", NULL, 0, err), FLYT_OUT_REFUSED);
    assert_int_equal(claim(f->dir, NULL, 0, err), FLYT_OUT_REFUSED);
    assert_non_null(strstr(err, "is a folder"));
    assert_int_equal(claim("/dev/null", NULL, 0, err), FLYT_OUT_REFUSED);
    assert_non_null(strstr(err, "device, FIFO or socket"));
    snprintf(path, sizeof path, "%s/fifo", f->dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(claim(path, NULL, 0, err), FLYT_OUT_REFUSED);
    unlink(path);
    snprintf(path, sizeof path, "%s/no/such/out.h5", f->dir);
    assert_int_equal(claim(path, NULL, 0, err), FLYT_OUT_FAILED);
    assert_non_null(strstr(err, "missing"));
}

static void claim_refuses_an_input_by_any_name(void **state)
{
    struct fixture *f = *state;
    char err[512] = "", link_path[200], dotted[220];
    write_ok(f); /* a flyt output, so only the input check can refuse it */
    snprintf(link_path, sizeof link_path, "%s/hard.h5", f->dir);
    assert_int_equal(link(f->path, link_path), 0);
    const char *inputs[] = { NULL, link_path };
    assert_int_equal(claim(f->path, inputs, 2, err), FLYT_OUT_REFUSED);
    assert_non_null(strstr(err, "is the input"));
    snprintf(dotted, sizeof dotted, "%s/./run.h5", f->dir);
    const char *by_dot[] = { dotted };
    assert_int_equal(claim(f->path, by_dot, 1, err), FLYT_OUT_REFUSED);
    assert_int_equal(claim(f->path, NULL, 0, err), 0);
    flyt_out_release(f->path);
    unlink(link_path);
}

/* flock conflicts between two opens even in one process: a second claim
 * under another spelling stands for a second flyt. */
static void second_claim_on_the_same_file_is_refused(void **state)
{
    struct fixture *f = *state;
    char err[512] = "", other[220];
    snprintf(other, sizeof other, "%s/./run.h5", f->dir);
    assert_int_equal(claim(f->path, NULL, 0, err), 0);
    assert_int_equal(claim(other, NULL, 0, err), FLYT_OUT_FAILED);
    assert_non_null(strstr(err, "another flyt is writing it"));
    flyt_out_release(f->path);
    assert_int_equal(claim(other, NULL, 0, err), 0);
    flyt_out_release(other);
    assert_int_equal(files_in(f->dir), 0);
}

static void print_to_string(struct fixture *f, int json, char *buf, size_t len)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    if (json)
        flyt_summary_print_json(fp, f->s, &f->sum, N_RES);
    else
        flyt_summary_print_table(fp, f->s, &f->sum, N_RES);
    rewind(fp);
    size_t n = fread(buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

static void json_escapes_strings_and_prints_nan_as_null(void **state)
{
    struct fixture *f = *state;
    static char buf[16384];
    f->sum.mean[FLYT_KPI_ukp_wait_mean] = NAN;
    f->sum.ci_half[FLYT_KPI_ukp_wait_mean] = NAN;
    f->sum.ci_low[FLYT_KPI_ukp_wait_mean] = f->sum.ci_high[FLYT_KPI_ukp_wait_mean] = NAN;
    print_to_string(f, 1, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"scenario\": \"unit \\\"test\\\" scenario\""));
    assert_non_null(strstr(buf, "\"ukp_wait_mean\": {\"mean\": null"));
    assert_non_null(strstr(buf, "\"ci95\": [null, null]"));
    assert_non_null(strstr(buf, "\"seed\": 18364758544493064720"));
    assert_non_null(strstr(buf, "\"few_replications\": true")); /* N_RES = 3 */
    assert_null(strstr(buf, "nan"));
}

static void table_prints_nan_as_a_dash(void **state)
{
    struct fixture *f = *state;
    static char buf[16384];
    f->sum.mean[FLYT_KPI_ukp_wait_mean] = NAN;
    f->sum.ci_half[FLYT_KPI_ukp_wait_mean] = NAN;
    f->sum.ci_low[FLYT_KPI_ukp_wait_mean] = f->sum.ci_high[FLYT_KPI_ukp_wait_mean] = NAN;
    f->sum.mean[FLYT_KPI_ukp_cost_per_year] = 31234567.8;
    print_to_string(f, 0, buf, sizeof buf);
    assert_non_null(strstr(buf, "95% CI"));
    assert_non_null(strstr(buf, " 31,230,000 ")); /* grouped, 4 significant digits */
    assert_non_null(strstr(buf, "\nnote: 3 replications: under 10,"));
    const char *line = strstr(buf, "\nukp_wait_mean ");
    assert_non_null(line);
    assert_null(strstr(line + 1, "nan"));
    assert_non_null(strstr(line, " - "));
}

/* Days enough that two rows fill a chunk (256 KiB): chunks of rows 0-1 and 2. */
#define LONG_DAYS 12000

static void refill(struct fixture *f, size_t n_days)
{
    for (size_t i = 0; i < N_RES; i++)
        flyt_result_free(&f->res[i]);
    fill_results(f, n_days);
}

/* The stored bytes of the chunk at offset of dataset name (caller frees). */
static unsigned char *raw_chunk(const char *path, const char *name, const hsize_t *offset,
                                hsize_t *size, uint32_t *mask)
{
    hid_t file = open_file(path);
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dget_chunk_storage_size(d, offset, size) >= 0);
    unsigned char *buf = malloc(*size);
    assert_non_null(buf);
    assert_true(H5Dread_chunk(d, H5P_DEFAULT, offset, mask, buf) >= 0);
    H5Dclose(d);
    H5Fclose(file);
    return buf;
}

static void writes_long_series_in_chunks_of_whole_rows(void **state)
{
    struct fixture *f = *state;
    refill(f, LONG_DAYS);
    f->res[2].n_days = 7;
    f->res[2].status = FLYT_RUN_RUNAWAY;
    write_ok(f);
    double *x = malloc(N_RES * LONG_DAYS * sizeof *x);
    assert_non_null(x);
    hsize_t dims[2], chunk[2], n_chunks = 0;
    hid_t file = open_file(f->path);
    read_dset(file, "/series/hospital_treatment", H5T_NATIVE_DOUBLE, x, N_RES * LONG_DAYS, dims);
    assert_int_equal(dims[0], N_RES);
    assert_int_equal(dims[1], LONG_DAYS);
    for (size_t i = 0; i < N_RES; i++)
        for (size_t d = 0; d < LONG_DAYS; d++) {
            double want =
                    i == 2 && d >= 7 ? NAN : series_value(i, FLYT_SERIES_hospital_treatment, d);
            if (isnan(want))
                assert_true(isnan(x[i * LONG_DAYS + d]));
            else
                assert_near(x[i * LONG_DAYS + d], want, 0.0);
        }
    free(x);
    hid_t d = H5Dopen2(file, "/series/hospital_treatment", H5P_DEFAULT);
    hid_t p = H5Dget_create_plist(d);
    assert_int_equal(H5Pget_chunk(p, 2, chunk), 2);
    assert_int_equal(chunk[0], 2);
    assert_int_equal(chunk[1], LONG_DAYS);
    hid_t sp = H5Dget_space(d);
    assert_true(H5Dget_num_chunks(d, sp, &n_chunks) >= 0);
    assert_int_equal(n_chunks, 2);
    H5Sclose(sp);
    H5Pclose(p);
    H5Dclose(d);
    H5Fclose(file);
}

/* The series chunks are HDF5's own shuffle + deflate (flyt made them itself
 * before issue 17, and must still match files written then): byte for byte
 * as a plain H5Dwrite through the filters makes them, whatever the threads. */
static void stores_the_chunks_hdf5_would_for_any_thread_count(void **state)
{
    struct fixture *f = *state;
    char path3[160], ref[160], err[512] = "";
    snprintf(path3, sizeof path3, "%s/run3.h5", f->dir);
    snprintf(ref, sizeof ref, "%s/ref.h5", f->dir);
    refill(f, LONG_DAYS);
    f->meta.threads = 1;
    write_ok(f);
    f->meta.threads = 3;
    assert_int_equal(write_run(f, path3, err, sizeof err), 0);

    /* rows 0 and 1 of the series through HDF5's filters */
    const int k = FLYT_SERIES_hospital_treatment;
    double *rows = malloc(2 * LONG_DAYS * sizeof *rows);
    assert_non_null(rows);
    memcpy(rows, f->res[0].series[k], LONG_DAYS * sizeof *rows);
    memcpy(rows + LONG_DAYS, f->res[1].series[k], LONG_DAYS * sizeof *rows);
    hsize_t dims[2] = { N_RES, LONG_DAYS }, chunk[2] = { 2, LONG_DAYS }, zero[2] = { 0, 0 };
    hid_t file = H5Fcreate(ref, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(file >= 0 && p >= 0);
    assert_true(H5Pset_chunk(p, 2, chunk) >= 0 && H5Pset_shuffle(p) >= 0 &&
                H5Pset_deflate(p, 4) >= 0);
    hid_t fs = H5Screate_simple(2, dims, NULL), ms = H5Screate_simple(2, chunk, NULL);
    hid_t d = H5Dcreate2(file, "s", H5T_IEEE_F64LE, fs, H5P_DEFAULT, p, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Sselect_hyperslab(fs, H5S_SELECT_SET, zero, NULL, chunk, NULL) >= 0);
    assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, rows) >= 0);
    H5Dclose(d);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Pclose(p);
    H5Fclose(file);
    free(rows);

    hsize_t n1, n3, nr;
    uint32_t m1 = 1, m3 = 1, mr = 1;
    unsigned char *c1 = raw_chunk(f->path, "/series/hospital_treatment", zero, &n1, &m1);
    unsigned char *c3 = raw_chunk(path3, "/series/hospital_treatment", zero, &n3, &m3);
    unsigned char *cr = raw_chunk(ref, "/s", zero, &nr, &mr);
    assert_true(m1 == 0 && m3 == 0 && mr == 0);
    assert_int_equal(n1, nr);
    assert_int_equal(n3, nr);
    assert_memory_equal(c1, cr, nr);
    assert_memory_equal(c3, cr, nr);
    free(c1);
    free(c3);
    free(cr);
    /* a small column: compact (in its object header, no chunks to filter),
     * the same whatever the threads */
    uint64_t e1[N_RES], e3[N_RES];
    hid_t f1 = open_file(f->path), f3 = open_file(path3);
    read_field(f1, "/replications", "model_events", H5T_NATIVE_UINT64, 8, e1, N_RES);
    read_field(f3, "/replications", "model_events", H5T_NATIVE_UINT64, 8, e3, N_RES);
    assert_memory_equal(e1, e3, sizeof e1);
    hid_t dc = H5Dopen2(f1, "/replications", H5P_DEFAULT);
    hid_t pc = H5Dget_create_plist(dc);
    assert_int_equal(H5Pget_layout(pc), H5D_COMPACT);
    assert_int_equal(H5Pget_nfilters(pc), 0);
    H5Pclose(pc);
    H5Dclose(dc);
    H5Fclose(f3);
    H5Fclose(f1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(writes_format_and_provenance_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_one_value_per_replication_for_each_kpi, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(writes_series_as_replication_by_day, setup, teardown),
        cmocka_unit_test_setup_teardown(pads_a_replication_stopped_early_with_nan, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_empty_series_when_there_are_no_days, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(writes_long_series_in_chunks_of_whole_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stores_the_chunks_hdf5_would_for_any_thread_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(summary_counts_only_finite_replications, setup, teardown),
        cmocka_unit_test_setup_teardown(summary_names_its_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(leaves_no_partial_file_after_success, setup, teardown),
        cmocka_unit_test_setup_teardown(fails_with_a_message_in_a_missing_directory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refuses_to_replace_a_file_flyt_did_not_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(claim_refuses_what_is_not_an_output_file, setup, teardown),
        cmocka_unit_test_setup_teardown(claim_refuses_an_input_by_any_name, setup, teardown),
        cmocka_unit_test_setup_teardown(second_claim_on_the_same_file_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_write_keeps_the_existing_file_and_no_partial, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(text_outputs_are_whole_or_not_at_all, setup, teardown),
        cmocka_unit_test_setup_teardown(json_escapes_strings_and_prints_nan_as_null, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(table_prints_nan_as_a_dash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
