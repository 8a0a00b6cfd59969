/*
 * Spec files: the scenario module's strict reader, for files that are not
 * scenarios (sweep files, calibration specs).
 *
 * A spec is parsed the way a scenario is (limits on every file, BOM, NUL,
 * UTF-8, keys per group, integer literals against their digits), so its
 * messages have the same form, "file:line: error: key: message". The
 * caller walks the tree through opaque nodes and gets plain C values back;
 * only the scenario module sees <libconfig.h>.
 *
 * The strict getters (flyt_spec_get, _str, _int, _num) mark what they read
 * and report what is wrong; flyt_spec_check_unknown then reports every
 * setting never marked as an unknown key. The plain accessors
 * (flyt_spec_member, _elem, _type, ...) neither mark nor report.
 *
 * Ownership: nodes and the strings they hand back belong to the spec and
 * live until flyt_spec_free. Nothing here draws a random number or reads
 * a file other than the one named (and its @include lines).
 */
#ifndef FLYT_SPEC_H
#define FLYT_SPEC_H

#include "flyt/scenario.h"

#include <stdbool.h>
#include <stddef.h>

struct flyt_spec;
struct flyt_spec_node;

enum flyt_spec_type {
    FLYT_SPEC_NONE, /* a NULL node */
    FLYT_SPEC_GROUP,
    FLYT_SPEC_INT, /* fits 32 bits, as libconfig wrote it */
    FLYT_SPEC_INT64,
    FLYT_SPEC_FLOAT,
    FLYT_SPEC_STRING,
    FLYT_SPEC_BOOL,
    FLYT_SPEC_ARRAY,
    FLYT_SPEC_LIST,
};

/* Parses text; name is the file's name in messages (borrowed: it must
 * outlive the spec, as diag must), include_dir what its @include lines are
 * relative to (NULL: the working directory). Returns NULL with every
 * problem in diag. */
struct flyt_spec *flyt_spec_parse(const char *text, const char *name, const char *include_dir,
                                  struct flyt_diag *diag);
/* Reads and parses the file at path (@include relative to its folder). */
struct flyt_spec *flyt_spec_load(const char *path, struct flyt_diag *diag);
/* Parses text that flyt made itself (a scenario's resolved text): no
 * checks beyond libconfig's own; NULL when libconfig refuses it. */
struct flyt_spec *flyt_spec_parse_plain(const char *text);
void flyt_spec_free(struct flyt_spec *spec);

/* The diag and file name given to flyt_spec_parse, for the caller's own
 * messages about the file as a whole. */
struct flyt_diag *flyt_spec_diag(const struct flyt_spec *spec);
const char *flyt_spec_name(const struct flyt_spec *spec);

struct flyt_spec_node *flyt_spec_root(struct flyt_spec *spec);
/* A setting by key path ("units.short_term.beds"); NULL when absent. */
struct flyt_spec_node *flyt_spec_lookup(struct flyt_spec *spec, const char *path);

/* Plain accessors: NULL in, NONE/0/NULL/false out. */
enum flyt_spec_type flyt_spec_type(const struct flyt_spec_node *n);
bool flyt_spec_is_group(const struct flyt_spec_node *n);
bool flyt_spec_is_list(const struct flyt_spec_node *n); /* a list ( ) or an array [ ] */
int flyt_spec_length(const struct flyt_spec_node *n);
struct flyt_spec_node *flyt_spec_elem(const struct flyt_spec_node *n, int i);
struct flyt_spec_node *flyt_spec_member(const struct flyt_spec_node *n, const char *name);
/* The line in the parsed text (0 for NULL and for the root). */
int flyt_spec_line(const struct flyt_spec_node *n);
int flyt_spec_index(const struct flyt_spec_node *n);       /* in its list or group */
long long flyt_spec_int64(const struct flyt_spec_node *n); /* INT or INT64 */
double flyt_spec_float(const struct flyt_spec_node *n);
bool flyt_spec_bool(const struct flyt_spec_node *n);
const char *flyt_spec_string(const struct flyt_spec_node *n); /* NULL: not a string */

/* Strict getters. A member is looked up and marked (NULL when absent,
 * reported when required); numbers accept int, int64 and float literals;
 * ranges are lo <= x <= hi; on absence *out keeps its default. */
struct flyt_spec_node *flyt_spec_get(struct flyt_spec *spec, struct flyt_spec_node *parent,
                                     const char *name, bool required);
bool flyt_spec_str(struct flyt_spec *spec, struct flyt_spec_node *parent, const char *name,
                   bool required, const char **out);
bool flyt_spec_int(struct flyt_spec *spec, struct flyt_spec_node *parent, const char *name,
                   bool required, long long lo, long long hi, long long *out);
bool flyt_spec_num(struct flyt_spec *spec, struct flyt_spec_node *parent, const char *name,
                   bool required, double lo, double hi, double *out);
/* A node's value as a finite number; reported under key otherwise. */
bool flyt_spec_value_number(struct flyt_spec *spec, struct flyt_spec_node *n, const char *key,
                            double *out);

void flyt_spec_mark(struct flyt_spec_node *n);
void flyt_spec_mark_tree(struct flyt_spec_node *n); /* n and everything below it */

/* Reports "file:line: error: key: message" at n (at the file's first line
 * for NULL or the root), with the line mapped through @include. */
void flyt_spec_error(struct flyt_spec *spec, const struct flyt_spec_node *n, const char *key,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reports every setting never marked as an unknown key. */
void flyt_spec_check_unknown(struct flyt_spec *spec);

/* The file's text as flyt_spec_load read it; NULL for a parsed string. */
const char *flyt_spec_text(const struct flyt_spec *spec);

/* parent.name as a list of 1 to cap groups, each marked; NULL (reported
 * unless absent and not required) otherwise. */
struct flyt_spec_node *flyt_spec_list_of_groups(struct flyt_spec *spec,
                                                struct flyt_spec_node *parent, const char *name,
                                                int cap, bool required);

/* parent.set, an array of at most cap strings "key.path=value" each under
 * len characters: the good ones into out (pointing into the tree) with
 * their nodes; how many. Every bad one is reported. */
int flyt_spec_sets(struct flyt_spec *spec, struct flyt_spec_node *parent, int cap, size_t len,
                   const char **out, struct flyt_spec_node **nodes);

/* A path a spec names, relative to the spec file's folder (as @include is
 * relative to a scenario) unless absolute; malloc'd, NULL when out of
 * memory. */
char *flyt_spec_resolve_path(const char *spec_path, const char *path);

#endif
