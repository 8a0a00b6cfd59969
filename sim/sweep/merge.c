/*
 * flyt merge: shard files to one sweep file. Every check runs before
 * anything is written, and every problem is reported, not just the first:
 * a planner with 200 shards wants the whole list of what to rerun.
 *
 * The points table is rebuilt from the sweep text stored in the shards
 * (flyt_sweep_parse touches no other file), so merging needs neither the
 * sweep file nor the base scenario on disk.
 */
#include "flyt/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same_units(const struct flyt_sweep_file *a, const struct flyt_sweep_file *b)
{
    bool same = a->n_units == b->n_units;
    for (unsigned u = 0; same && u < a->n_units; u++)
        same = strcmp(a->unit_ids[u], b->unit_ids[u]) == 0;
    return same;
}

/* The first shard of a kind fixes what the others must match. */
static bool same_sweep(const struct flyt_sweep_file *a, const struct flyt_sweep_file *b, FILE *errs)
{
    const char *what = NULL;
    if (a->hash != b->hash || strcmp(a->sweep_text, b->sweep_text) != 0 ||
        strcmp(a->base_text, b->base_text) != 0)
        what = "another sweep file (or another version of it, or another base scenario)";
    else if (a->n_tasks != b->n_tasks || a->replications != b->replications)
        what = "a sweep with another number of tasks";
    else if (a->series != b->series)
        what = "a run with another --series setting";
    else if (!same_units(a, b)) /* the same texts: a file not written by flyt sweep */
        what = "a sweep with other units (/units/ids)";
    else if (a->shard_count != b->shard_count && strcmp(b->kind, "sweep-shard") == 0 &&
             strcmp(a->kind, "sweep-shard") == 0)
        what = NULL; /* different splits are fine: tasks are checked one by one */
    if (what)
        fprintf(errs,
                "flyt merge: error: '%s' comes from %s than '%s' (sweep %s, hash %016llx vs "
                "%016llx)\n",
                b->path, what, a->path, b->sweep_source, (unsigned long long)b->hash,
                (unsigned long long)a->hash);
    return what == NULL;
}

/* Names the missing tasks by shard when the files were one split, so the
 * planner knows which array task to rerun. */
static void report_missing(const struct flyt_sweep_file *first, const size_t *owner, size_t n,
                           FILE *errs)
{
    unsigned count = first->shard_count;
    bool one_split = strcmp(first->kind, "sweep-shard") == 0 && count > 1;
    for (unsigned s = 0; s < (one_split ? count : 1); s++) {
        size_t missing = 0, shown = 0;
        char list[256] = "";
        for (size_t t = 0; t < n; t++) {
            if (owner[t] != (size_t)-1 || (one_split && t % count != s))
                continue;
            if (missing++ < 8)
                shown += (size_t)snprintf(list + shown, sizeof list - shown, "%s%zu",
                                          shown ? ", " : "", t);
        }
        if (missing == 0)
            continue;
        if (one_split)
            fprintf(errs,
                    "flyt merge: error: shard %u/%u (by default %s.shard-%u-of-%u.h5) is missing: "
                    "%zu of its tasks are in no file (tasks %s%s); rerun it with: flyt sweep %s "
                    "--shard %u/%u --resume\n",
                    s, count, first->sweep_name, s, count, missing, list,
                    missing > 8 ? ", ..." : "", first->sweep_source, s, count);
        else
            fprintf(errs, "flyt merge: error: %zu tasks are in no file (tasks %s%s)\n", missing,
                    list, missing > 8 ? ", ..." : "");
    }
}

/* owner[t]: which file holds task t; every task exactly once. */
static bool check_tasks(struct flyt_sweep_file *files, size_t n_files, size_t *owner, FILE *errs)
{
    size_t n = files[0].n_tasks;
    bool ok = true;
    size_t dups = 0;
    for (size_t t = 0; t < n; t++)
        owner[t] = (size_t)-1;
    for (size_t i = 0; i < n_files; i++)
        for (size_t k = 0; k < files[i].n_have; k++) {
            size_t t = (size_t)files[i].task[k];
            if (owner[t] != (size_t)-1 && dups++ < 10) {
                fprintf(errs,
                        "flyt merge: error: task %zu (point %zu, replication %zu) is in both "
                        "'%s' and '%s'\n",
                        t, t / files[0].replications, t % files[0].replications,
                        files[owner[t]].path, files[i].path);
            }
            ok &= owner[t] == (size_t)-1;
            owner[t] = i;
        }
    if (dups > 10)
        fprintf(errs, "flyt merge: error: ... %zu tasks in more than one file in all\n", dups);
    bool complete = true;
    for (size_t t = 0; t < n; t++)
        complete &= owner[t] != (size_t)-1;
    if (!complete)
        report_missing(&files[0], owner, n, errs);
    return ok && complete;
}

/* The sweep as stored in the shards: points from the text, hash, base. */
static struct flyt_sweep *rebuild(const struct flyt_sweep_file *f, FILE *errs)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_sweep *sw = flyt_sweep_parse(f->sweep_text, f->sweep_source, &d);
    if (!sw) {
        fprintf(errs, "flyt merge: error: the sweep text stored in '%s' does not parse:\n%s",
                f->path, d.text ? d.text : "");
    } else {
        free(sw->base_path);
        size_t a = strlen(f->base_source) + 1, b = strlen(f->base_text) + 1;
        sw->base_path = malloc(a);
        sw->base_text = malloc(b);
        if (sw->base_path && sw->base_text) {
            memcpy(sw->base_path, f->base_source, a);
            memcpy(sw->base_text, f->base_text, b);
        }
        sw->hash = f->hash;
        sw->seed = f->seed;
        sw->replications = f->replications;
        /* the units as the shards stored them: the base is not loaded here */
        bool ids = (sw->unit_ids = calloc(f->n_units ? f->n_units : 1, sizeof *sw->unit_ids));
        for (unsigned u = 0; ids && u < f->n_units; u++) {
            ids = (sw->unit_ids[u] = strdup(f->unit_ids[u])) != NULL;
            sw->n_units += ids;
        }
        if (!ids || !sw->base_path || !sw->base_text || sw->n_points != f->n_points ||
            flyt_sweep_n_tasks(sw) != f->n_tasks) {
            fprintf(errs, "flyt merge: error: '%s' does not match the sweep text it stores\n",
                    f->path);
            flyt_sweep_free(sw);
            sw = NULL;
        }
    }
    flyt_diag_free(&d);
    return sw;
}

static int write_merged(struct flyt_sweep_file *files, size_t n_files, const char *out,
                        const struct flyt_run_meta *meta, FILE *errs)
{
    struct flyt_sweep *sw = rebuild(&files[0], errs);
    if (!sw)
        return 2;
    size_t n = flyt_sweep_n_tasks(sw);
    struct flyt_result *res = calloc(n ? n : 1, sizeof *res);
    bool *have = calloc(n ? n : 1, sizeof *have);
    char err[1024];
    int rc = 0;
    if (!res || !have) {
        fputs("flyt merge: error: out of memory\n", errs);
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < n_files; i++)
        if (flyt_h5_sweep_read_tasks(&files[i], res, err, sizeof err) != 0) {
            fprintf(errs, "flyt merge: error: %s\n", err);
            rc = 2;
        }
    for (size_t t = 0; rc == 0 && t < n; t++)
        have[t] = true;
    if (rc == 0 &&
        flyt_h5_write_sweep(out, sw, res, have, 0, 0, files[0].series, meta, err, sizeof err)) {
        fprintf(errs, "flyt merge: error: %s\n", err);
        rc = 1;
    }
    for (size_t t = 0; res && t < n; t++)
        flyt_result_free(&res[t]);
    free(res);
    free(have);
    flyt_sweep_free(sw);
    return rc;
}

/* I and N from a shard file's default name, NAME.shard-I-of-N.h5. */
static bool shard_from_name(const char *path, unsigned *i, unsigned *n)
{
    const char *base = strrchr(path, '/'), *p = NULL, *q;
    for (q = base ? base + 1 : path; (q = strstr(q, ".shard-")) != NULL; q++)
        p = q;
    int end = 0;
    return p && sscanf(p, ".shard-%u-of-%u.h5%n", i, n, &end) == 2 && p[end] == '\0' && *i < *n;
}

/* A file that cannot be trusted is named with why and, when its name
 * says which shard it was, the command that writes it again. */
static void report_unreadable(const struct flyt_sweep_file *files, const bool *bad, size_t n_files,
                              const char *const *paths, char (*why)[1024], FILE *errs)
{
    const char *source = "SWEEP.cfg";
    for (size_t i = 0; i < n_files; i++)
        if (!bad[i] && files[i].sweep_source) {
            source = files[i].sweep_source;
            break;
        }
    for (size_t i = 0; i < n_files; i++) {
        unsigned si, sn;
        if (!bad[i])
            continue;
        if (shard_from_name(paths[i], &si, &sn))
            fprintf(errs,
                    "flyt merge: error: %s; nothing from it is used: rerun that shard with: "
                    "flyt sweep %s --shard %u/%u -o %s\n",
                    why[i], source, si, sn, paths[i]);
        else
            fprintf(errs, "flyt merge: error: %s; nothing from it is used: write it again\n",
                    why[i]);
    }
}

int flyt_sweep_merge(const char *const *paths, size_t n_paths, const char *out,
                     const struct flyt_run_meta *meta, FILE *errs)
{
    if (n_paths == 0) { /* files[0] below is the reference every file is checked against */
        fputs("flyt merge: error: no shard files to merge\n", errs);
        return 2;
    }
    struct flyt_sweep_file *files = calloc(n_paths, sizeof *files);
    bool *bad = calloc(n_paths, sizeof *bad);
    char(*why)[1024] = calloc(n_paths, sizeof *why);
    size_t *owner = NULL;
    int rc = files && bad && why ? 0 : 1;
    for (size_t i = 0; rc != 1 && i < n_paths; i++)
        if (flyt_h5_sweep_read_info(paths[i], &files[i], why[i], sizeof why[i]) != 0) {
            bad[i] = true;
            rc = 2;
        }
    if (rc == 1)
        fputs("flyt merge: error: out of memory\n", errs);
    if (rc == 2)
        report_unreadable(files, bad, n_paths, paths, why, errs);
    for (size_t i = 1; rc == 0 && i < n_paths; i++)
        if (!same_sweep(&files[0], &files[i], errs))
            rc = 2;
    if (rc == 0 && !(owner = malloc((files[0].n_tasks ? files[0].n_tasks : 1) * sizeof *owner)))
        rc = 1;
    if (rc == 0 && !check_tasks(files, n_paths, owner, errs))
        rc = 2;
    if (rc == 0)
        rc = write_merged(files, n_paths, out, meta, errs);
    for (size_t i = 0; files && i < n_paths; i++)
        flyt_h5_sweep_file_free(&files[i]);
    free(files);
    free(bad);
    free(why);
    free(owner);
    return rc;
}
