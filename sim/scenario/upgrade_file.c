/* flyt upgrade's driver: which rewrite a file needs (none when it is in
 * the network form already), and a refusal in flyt validate's words when
 * it is not a valid old scenario, so nothing wrong is carried over. */
#include "flyt/upgrade.h"
#include "scenario/reader.h"
#include "scenario/upgrade_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int flyt__upgrade_line(const char *text, size_t i)
{
    int line = 1;
    for (size_t k = 0; k < i && text[k]; k++)
        line += text[k] == '\n';
    return line;
}

void flyt_upgrade_free(struct flyt_upgrade *u)
{
    if (!u)
        return;
    free(u->text);
    free(u->notes);
    memset(u, 0, sizeof *u);
}

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void note_includes(const struct ct_doc *doc, const struct ct_node *n, const char *name,
                          struct ct_buf *notes)
{
    for (int i = 0; i < n->n_kid; i++) {
        const struct ct_node *k = &n->kid[i];
        if (k->kind != CT_INCLUDE) {
            note_includes(doc, k, name, notes);
            continue;
        }
        char line[1024];
        snprintf(line, sizeof line,
                 "%s:%d: note: @include left as it is: only this file is converted; convert "
                 "what the included file holds by hand\n",
                 name, flyt__upgrade_line(doc->text, k->v0));
        flyt__ct_puts(notes, line);
    }
}

int flyt_upgrade_text(const char *text, const char *name, bool spec, struct flyt_upgrade *out,
                      struct flyt_diag *diag)
{
    memset(out, 0, sizeof *out);
    struct ct_doc doc;
    int bad_line = 0;
    if (flyt__ct_parse(text, &doc, &bad_line) != 0) {
        flyt_diag_add(diag, name, bad_line, NULL,
                      "flyt upgrade cannot follow the text here, though it is valid libconfig; "
                      "please report it with the file");
        return -1;
    }
    struct ct_buf notes = { 0 };
    const struct ct_node *units = flyt__ct_member(&doc, &doc.root, "units");
    if (!spec && units && units->kind == CT_LIST) {
        out->text = dup_text(text);
        out->flags |= FLYT_UPGRADE_ALREADY_NEW;
    } else {
        note_includes(&doc, &doc.root, name, &notes);
        out->text = spec ? flyt__upgrade_spec_text(&doc, name, &notes)
                         : flyt__upgrade_scenario_text(&doc);
        out->flags |=
                (spec ? FLYT_UPGRADE_SPEC : 0u) | (doc.has_include ? FLYT_UPGRADE_INCLUDE : 0u);
    }
    flyt__ct_free(&doc);
    out->notes = notes.failed ? NULL : notes.s;
    if (!out->text || notes.failed) {
        flyt_diag_add(diag, name, 0, NULL, "out of memory");
        flyt_upgrade_free(out);
        return -1;
    }
    return 0;
}

/* Whether the main file's own text has a top-level units (not only one an
 * @include brings in). */
static bool units_in_text(const char *text)
{
    struct ct_doc doc;
    int bad_line = 0;
    if (flyt__ct_parse(text, &doc, &bad_line) != 0)
        return true;
    bool has = flyt__ct_member(&doc, &doc.root, "units") != NULL;
    flyt__ct_free(&doc);
    return has;
}

/* The file's own tree, for the choice of rewrite; NULL after reporting.
 * Not strict: integer literals libconfig wraps are let through (test
 * files that are wrong on purpose). */
static char *parse_file(const char *path, config_t *cfg, struct reader *rd, struct src_map *map,
                        char **dir, bool strict, struct flyt_diag *diag)
{
    char *text = flyt__rd_read_path(path, diag, dir);
    if (!text)
        return NULL;
    flyt__rd_init(rd, cfg, path, diag);
    int before = diag->n_errors;
    char *prepared = flyt__rd_parse_text(rd, cfg, map, text, *dir);
    if (!prepared || (strict && diag->n_errors > before)) {
        free(prepared);
        free(text);
        flyt__rd_free(rd);
        return NULL;
    }
    free(prepared);
    return text;
}

int flyt_upgrade_file(const char *path, unsigned opts, struct flyt_upgrade *out,
                      struct flyt_diag *diag)
{
    memset(out, 0, sizeof *out);
    config_t cfg;
    config_init(&cfg);
    struct reader rd;
    struct src_map map = { 0 };
    char *dir = NULL;
    int rc = -1;
    char *text = parse_file(path, &cfg, &rd, &map, &dir, !(opts & FLYT_UPGRADE_NO_CHECK), diag);
    if (!text)
        goto done;
    config_setting_t *root = config_root_setting(&cfg);
    config_setting_t *units = config_setting_get_member(root, "units");
    bool spec = !units && (config_setting_get_member(root, "parameters") ||
                           config_setting_get_member(root, "targets"));
    if (units && config_setting_is_list(units)) {
        out->text = dup_text(text);
        out->flags = FLYT_UPGRADE_ALREADY_NEW;
        rc = out->text ? 0 : -1;
        goto done;
    }
    rc = flyt_upgrade_text(text, path, spec, out, diag);
    /* Old units that an @include brings in are out of the conversion's
     * reach: say so where they are, rather than have the loader suggest
     * converting the converted text. */
    if (rc == 0 && units && config_setting_is_group(units) && !(opts & FLYT_UPGRADE_NO_CHECK) &&
        !units_in_text(text)) {
        flyt__rd_error(&rd, units, "units",
                       "the old form, brought in by an @include: flyt upgrade converts only "
                       "the named file ('%s'); move the units into it, or convert the "
                       "included file's units by hand",
                       path);
        free(out->text);
        out->text = NULL;
        rc = -1;
        goto done;
    }
    /* The loader reads only the new form, so it is the conversion that is
     * checked: an old file that was wrong is wrong after it too, and its
     * errors name the converted text's lines. */
    if (rc == 0 && !spec && !(opts & FLYT_UPGRADE_NO_CHECK)) {
        size_t n = strlen(path) + 32;
        char *name = malloc(n);
        struct flyt_scenario *s = NULL;
        if (name) {
            snprintf(name, n, "%s (converted)", path);
            s = flyt_scenario_load_string(out->text, name, dir, NULL, 0, diag);
        }
        free(name);
        if (!s) {
            free(out->text);
            out->text = NULL;
            rc = -1;
        }
        flyt_scenario_free(s);
    }
done:
    if (text)
        flyt__rd_free(&rd);
    config_destroy(&cfg);
    flyt__src_map_free(&map);
    free(dir);
    free(text);
    return rc;
}

/* ---- the value dump (tests compare an old file with its conversion) ---- */

static void dump_string(struct ct_buf *b, const char *s)
{
    flyt__ct_puts(b, "\"");
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            flyt__ct_puts(b, "\\");
        if (*s == '\n')
            flyt__ct_puts(b, "\\n");
        else if (*s == '\t')
            flyt__ct_puts(b, "\\t");
        else
            flyt__ct_put(b, s, 1);
    }
    flyt__ct_puts(b, "\"");
}

static void dump_scalar(struct ct_buf *b, const config_setting_t *s)
{
    char num[64];
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        snprintf(num, sizeof num, "int\t%d", config_setting_get_int(s));
        break;
    case CONFIG_TYPE_INT64:
        snprintf(num, sizeof num, "int64\t%lld", (long long)config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        snprintf(num, sizeof num, "float\t%.17g", config_setting_get_float(s));
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(num, sizeof num, "bool\t%s", config_setting_get_bool(s) ? "true" : "false");
        break;
    default:
        flyt__ct_puts(b, "string\t");
        dump_string(b, config_setting_get_string(s));
        return;
    }
    flyt__ct_puts(b, num);
}

static void dump(struct ct_buf *b, const config_setting_t *s, const char *path)
{
    int n = config_setting_length(s);
    if (config_setting_is_array(s)) {
        flyt__ct_puts(b, path);
        flyt__ct_puts(b, "\tarray\t");
        for (int i = 0; i < n; i++) {
            flyt__ct_puts(b, i ? ", " : "");
            dump_scalar(b, config_setting_get_elem(s, (unsigned)i));
        }
        flyt__ct_puts(b, "\n");
        return;
    }
    if (!config_setting_is_aggregate(s)) {
        flyt__ct_puts(b, path);
        flyt__ct_puts(b, "\t");
        dump_scalar(b, s);
        flyt__ct_puts(b, "\n");
        return;
    }
    if (n == 0) { /* an empty group or list is a value too */
        flyt__ct_puts(b, path);
        flyt__ct_puts(b, config_setting_is_group(s) ? "\tgroup\t{}\n" : "\tlist\t()\n");
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *k = config_setting_get_elem(s, (unsigned)i);
        char sub[1024];
        const char *dot = *path ? "." : "";
        if (config_setting_is_list(s))
            snprintf(sub, sizeof sub, "%s%s[%d]", path, dot, i);
        else
            snprintf(sub, sizeof sub, "%s%s%s", path, dot, config_setting_name(k));
        dump(b, k, sub);
    }
}

int flyt_upgrade_dump(const char *path, char **out, struct flyt_diag *diag)
{
    config_t cfg;
    config_init(&cfg);
    struct reader rd;
    struct src_map map = { 0 };
    char *dir = NULL;
    char *text = parse_file(path, &cfg, &rd, &map, &dir, true, diag);
    struct ct_buf b = { 0 };
    if (text) {
        dump(&b, config_root_setting(&cfg), "");
        flyt__ct_put(&b, "", 0);
        flyt__rd_free(&rd);
    }
    config_destroy(&cfg);
    flyt__src_map_free(&map);
    free(dir);
    free(text);
    if (b.failed) {
        free(b.s);
        b.s = NULL;
        flyt_diag_add(diag, path, 0, NULL, "out of memory");
    }
    *out = b.s;
    return b.s ? 0 : -1;
}
