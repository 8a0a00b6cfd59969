/* flyt upgrade for scenarios: the old units group rewritten as the list of
 * the network form, renames and reorders elsewhere (see flyt/upgrade.h and
 * /docs/scenario-reference.md). Works on the text map of cfgtext.h, so
 * that all the file does not have to change is copied as it stands. */
#include "flyt/upgrade.h"
#include "scenario/cfgtext.h"
#include "scenario/upgrade_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What to do with a member's value. */
enum how {
    KEEP,
    DROP,     /* the key is gone; its comments stay */
    DEST,     /* decision.destination tables: reordered */
    OUTCOME,  /* short-term outcome tables: reordered */
    RATES,    /* home-care rates: reordered, end -> home */
    SCHEDULE, /* the level key of each entry renamed */
    PRIORITY, /* origin "home" -> unit "home_care" */
    DECISION,
    REPORT,
    COORDS,
    EFFECTS,
    UNITS,
};

struct rule {
    const char *name;
    const char *rename; /* NULL: the name stays */
    enum how how;
};

#define N_OF(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct rule root_rules[] = {
    { "units", NULL, UNITS },
    { "decision", NULL, DECISION },
    { "coordinators", NULL, COORDS },
    { "report", NULL, REPORT },
};
static const struct rule decision_rules[] = {
    { "admissions_on_weekends", NULL, DROP },
    { "destination", NULL, DEST },
};
static const struct rule report_rules[] = { { "nh_target_days", "wait_target_days", KEEP } };
static const struct rule coord_rules[] = { { "effects", NULL, EFFECTS } };
static const struct rule effects_rules[] = {
    { "st_los_factor", "los_factor", KEEP },
    { "destination", NULL, DEST },
    { "outcome", NULL, OUTCOME },
};
static const struct rule schedule_rules[] = {
    { "beds", "capacity", KEEP },
    { "hours_per_week", "capacity", KEEP },
};

/* The old fixed orders, which the new form draws in as written: a file
 * converted in this order gives the same random draws. */
static const char *const dest_order[] = { "home", "home_care", "short_term", "nursing_home" };
static const char *const outcome_order[] = { "home", "home_care", "nursing_home", "hospital",
                                             "death" };
static const char *const rates_order[] = { "hospital", "nursing_home", "death", "end" };

struct unit_form {
    const char *old_name;
    const char *header; /* the first keys of the list element */
    const struct rule *rules;
    int n_rules;
    const char *added; /* keys the old form implied */
};

static const struct rule st_rules[] = {
    { "beds", "capacity", KEEP },
    { "outcome", NULL, OUTCOME },
    { "schedule", NULL, SCHEDULE },
};
static const struct rule nh_rules[] = {
    { "beds", "capacity", KEEP },
    { "priority", NULL, PRIORITY },
    { "schedule", NULL, SCHEDULE },
};
static const struct rule hc_rules[] = {
    { "hours_per_week", "capacity", KEEP },
    { "initial_users", "initial_clients", KEEP },
    { "hours_per_user", "hours_per_client", KEEP },
    { "rates_per_year", NULL, RATES },
    { "schedule", NULL, SCHEDULE },
};

/* In the order of the new list. */
static const struct unit_form unit_forms[] = {
    { "short_term", "{ id = \"short_term\"; name = \"Short-term beds\"; kind = \"beds\";", st_rules,
      N_OF(st_rules), "not_ready_returns = true;" },
    { "nursing_home", "{ id = \"nursing_home\"; name = \"Nursing homes\"; kind = \"beds\";",
      nh_rules, N_OF(nh_rules), "outcome = \"death\";" },
    { "home_care", "{ id = \"home_care\"; name = \"Home care\"; kind = \"caseload\";", hc_rules,
      N_OF(hc_rules), "not_ready_returns = true;" },
};

static const char hospital_unit[] =
        "{ id = \"hospital\"; name = \"Hospital\"; kind = \"unlimited\"; hospital = true; }";

struct up {
    const struct ct_doc *doc;
    const char *t;
    struct ct_buf *b;
    const char *nl;
    bool weekdays;   /* decision.admissions_on_weekends = false */
    char indent[64]; /* of the elements of units */
    bool ukp_role;   /* the coordinator role being converted takes ukp cases */
};

static void value(struct up *u, const struct ct_node *n, enum how how);

static void copy(struct up *u, size_t a, size_t c)
{
    flyt__ct_copy(u->b, u->t, a, c);
}

static const struct rule *find_rule(const struct up *u, const struct ct_node *m,
                                    const struct rule *rules, int n_rules)
{
    for (int i = 0; i < n_rules; i++)
        if (flyt__ct_name_is(u->doc, m, rules[i].name))
            return &rules[i];
    return NULL;
}

/* A dropped key's comments stay where they were: those above it as they
 * are, the one beside it on a line of its own at the key's indentation. */
static void drop(struct up *u, const struct ct_node *m)
{
    if (m->comment != CT_NONE) {
        copy(u, m->c0, m->n0);
        copy(u, m->comment, m->c1);
        return;
    }
    size_t end = m->n0;
    while (end > m->c0 && (u->t[end - 1] == ' ' || u->t[end - 1] == '\t'))
        end--;
    if (end > m->c0 && u->t[end - 1] == '\n')
        end -= end - 1 > m->c0 && u->t[end - 2] == '\r' ? 2 : 1;
    copy(u, m->c0, end);
}

/* The comment beside a renamed key stays in its column when the spaces
 * before it allow: files align them. */
static void keep_column(struct up *u, const struct ct_node *m, long grew)
{
    size_t blank = m->comment;
    while (blank > m->v1 && u->t[blank - 1] == ' ')
        blank--;
    long spaces = (long)(m->comment - blank);
    if (blank > m->v1 && u->t[blank - 1] == '\t')
        grew = 0; /* tabs: their width is not ours to know */
    long want = spaces - grew < 1 ? 1 : spaces - grew;
    copy(u, m->v1, blank);
    for (long i = 0; i < want; i++)
        flyt__ct_puts(u->b, " ");
    copy(u, m->comment, m->c1);
}

/* One member's chunk, renamed and its value rewritten; need_term adds
 * the ';' a last member may go without when it is moved up. */
static void chunk(struct up *u, const struct ct_node *m, const struct rule *r, bool need_term)
{
    if (m->kind == CT_INCLUDE) {
        copy(u, m->c0, m->c1);
        return;
    }
    if (r && r->how == DROP) {
        drop(u, m);
        return;
    }
    copy(u, m->c0, m->n0);
    if (r && r->rename)
        flyt__ct_puts(u->b, r->rename);
    else
        copy(u, m->n0, m->n1);
    copy(u, m->n1, m->v0);
    value(u, m, r ? r->how : KEEP);
    if (m->term == CT_NONE && need_term)
        flyt__ct_puts(u->b, m->n0 < m->n1 ? ";" : ",");
    /* a ukp role's factor now names the unit whose stay it scales: the
     * old form's was always the short-term stay */
    bool los_unit = r && r->rename && strcmp(r->rename, "los_factor") == 0 && u->ukp_role;
    if (los_unit) {
        size_t after = m->term != CT_NONE ? m->term + 1 : m->v1;
        copy(u, m->v1, after);
        if (m->term == CT_NONE)
            flyt__ct_puts(u->b, ";");
        flyt__ct_puts(u->b, " los_unit = \"short_term\";");
        copy(u, after, m->c1);
        return;
    }
    if (r && r->rename && m->comment != CT_NONE)
        keep_column(u, m, (long)strlen(r->rename) - (long)(m->n1 - m->n0));
    else
        copy(u, m->v1, m->c1);
}

static size_t tail_start(const struct ct_node *a)
{
    return a->n_kid ? a->kid[a->n_kid - 1].c1 : a->head;
}

/* An aggregate with its members in the given order (NULL: as written). */
static void aggregate(struct up *u, const struct ct_node *a, const struct rule *rules, int n_rules,
                      const int *order)
{
    copy(u, a->v0, a->head);
    for (int i = 0; i < a->n_kid; i++) {
        const struct ct_node *m = &a->kid[order ? order[i] : i];
        chunk(u, m, find_rule(u, m, rules, n_rules), i + 1 < a->n_kid);
    }
    copy(u, tail_start(a), a->v1);
}

static int rank(const struct up *u, const struct ct_node *m, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (flyt__ct_name_is(u->doc, m, names[i]))
            return i;
    return n;
}

/* A table of named shares or rates, in the old loader's fixed order
 * (unknown names, which the loader refused, last). */
static void flat_table(struct up *u, const struct ct_node *g, const char *const *names, int n,
                       const struct rule *renames, int n_renames)
{
    int *order = malloc(sizeof *order * (size_t)(g->n_kid ? g->n_kid : 1));
    if (!order) {
        u->b->failed = true;
        return;
    }
    int k = 0;
    for (int r = 0; r <= n; r++)
        for (int i = 0; i < g->n_kid; i++)
            if (rank(u, &g->kid[i], names, n) == r)
                order[k++] = i;
    aggregate(u, g, renames, n_renames, order);
    free(order);
}

static bool per_group(const struct ct_node *g)
{
    for (int i = 0; i < g->n_kid; i++)
        if (g->kid[i].kind != CT_GROUP)
            return false;
    return g->n_kid > 0;
}

static void table(struct up *u, const struct ct_node *g, enum how how)
{
    static const struct rule end_home[] = { { "end", "home", KEEP } };
    const char *const *names = how == DEST      ? dest_order
                               : how == OUTCOME ? outcome_order
                                                : rates_order;
    int n = how == DEST      ? N_OF(dest_order)
            : how == OUTCOME ? N_OF(outcome_order)
                             : N_OF(rates_order);
    const struct rule *renames = how == RATES ? end_home : NULL;
    int n_renames = how == RATES ? 1 : 0;
    if (g->kind != CT_GROUP) {
        copy(u, g->v0, g->v1);
        return;
    }
    if (!per_group(g)) {
        flat_table(u, g, names, n, renames, n_renames);
        return;
    }
    copy(u, g->v0, g->head);
    for (int i = 0; i < g->n_kid; i++) {
        const struct ct_node *m = &g->kid[i];
        copy(u, m->c0, m->v0);
        flat_table(u, m, names, n, renames, n_renames);
        copy(u, m->v1, m->c1);
    }
    copy(u, tail_start(g), g->v1);
}

/* Each element of a list of groups with the same rules. */
static void list_of_groups(struct up *u, const struct ct_node *l, const struct rule *rules,
                           int n_rules)
{
    if (l->kind != CT_LIST) {
        copy(u, l->v0, l->v1);
        return;
    }
    copy(u, l->v0, l->head);
    for (int i = 0; i < l->n_kid; i++) {
        const struct ct_node *e = &l->kid[i];
        copy(u, e->c0, e->v0);
        if (e->kind == CT_GROUP) {
            const struct ct_node *c = flyt__ct_member(u->doc, e, "cases");
            u->ukp_role = c && c->v1 - c->v0 == 5 && memcmp(u->t + c->v0, "\"ukp\"", 5) == 0;
            aggregate(u, e, rules, n_rules, NULL);
        } else
            copy(u, e->v0, e->v1);
        copy(u, e->v1, e->c1);
    }
    copy(u, tail_start(l), l->v1);
}

static void priority(struct up *u, const struct ct_node *a)
{
    if (a->kind != CT_ARRAY) {
        copy(u, a->v0, a->v1);
        return;
    }
    copy(u, a->v0, a->head);
    for (int i = 0; i < a->n_kid; i++) {
        const struct ct_node *e = &a->kid[i];
        copy(u, e->c0, e->v0);
        if (e->v1 - e->v0 == 6 && memcmp(u->t + e->v0, "\"home\"", 6) == 0)
            flyt__ct_puts(u->b, "\"home_care\"");
        else
            copy(u, e->v0, e->v1);
        copy(u, e->v1, e->c1);
    }
    copy(u, tail_start(a), a->v1);
}

static void units(struct up *u, const struct ct_node *m);

static void value(struct up *u, const struct ct_node *n, enum how how)
{
    switch (how) {
    case DEST:
    case OUTCOME:
    case RATES:
        table(u, n, how);
        return;
    case SCHEDULE:
        list_of_groups(u, n, schedule_rules, N_OF(schedule_rules));
        return;
    case COORDS:
        list_of_groups(u, n, coord_rules, N_OF(coord_rules));
        return;
    case PRIORITY:
        priority(u, n);
        return;
    case DECISION:
    case REPORT:
    case EFFECTS:
        if (n->kind == CT_GROUP) {
            const struct rule *r = how == DECISION ? decision_rules
                                   : how == REPORT ? report_rules
                                                   : effects_rules;
            int nr = how == DECISION ? N_OF(decision_rules)
                     : how == REPORT ? N_OF(report_rules)
                                     : N_OF(effects_rules);
            aggregate(u, n, r, nr, NULL);
            return;
        }
        break;
    case KEEP:
    case DROP:
    case UNITS:
        break;
    }
    copy(u, n->v0, n->v1);
}

/* ---- units ---- */

/* The blanks before position i when nothing else precedes it on its
 * line; *len 0 when something does. */
static const char *indent_at(const char *t, size_t from, size_t i, size_t *len)
{
    size_t s = i;
    while (s > from && (t[s - 1] == ' ' || t[s - 1] == '\t'))
        s--;
    *len = s == 0 || t[s - 1] == '\n' ? i - s : 0;
    return t + s;
}

static void put_indent(struct up *u, const char *s, size_t n, size_t fallback)
{
    if (n)
        flyt__ct_put(u->b, s, n);
    else
        for (size_t i = 0; i < fallback; i++)
            flyt__ct_puts(u->b, " ");
}

/* One old unit group as a list element: the new first keys, its members
 * renamed, the keys the old form implied, and a ',' unless it is last. */
static void unit(struct up *u, const struct ct_node *m, const struct unit_form *f, bool last)
{
    const struct ct_node *g = m; /* a member is its value */
    if (memchr(u->t + m->c0, '\n', m->n0 - m->c0)) {
        copy(u, m->c0, m->n0);
    } else { /* each element on a line of its own, below the hospital */
        flyt__ct_puts(u->b, u->nl);
        flyt__ct_puts(u->b, u->indent);
    }
    flyt__ct_puts(u->b, f->header);
    copy(u, g->v0 + 1, g->head);
    for (int i = 0; i < g->n_kid; i++)
        chunk(u, &g->kid[i], find_rule(u, &g->kid[i], f->rules, f->n_rules), true);
    size_t tail = tail_start(g);
    bool lines = memchr(u->t + tail, '\n', g->v1 - tail) != NULL;
    size_t ilen = 0;
    const char *ind = g->n_kid ? indent_at(u->t, 0, g->kid[0].n0, &ilen) : NULL;
    const char *added[2] = { f->added, u->weekdays ? "admission_days = \"weekdays\";" : NULL };
    for (int i = 0; i < 2 && added[i]; i++) {
        if (lines) {
            flyt__ct_puts(u->b, u->nl);
            put_indent(u, ind, ilen, 4);
        } else {
            flyt__ct_puts(u->b, " ");
        }
        flyt__ct_puts(u->b, added[i]);
    }
    copy(u, tail, g->v1);
    if (m->term != CT_NONE) {
        copy(u, g->v1, m->term);
        flyt__ct_puts(u->b, last ? "" : ",");
        copy(u, m->term + 1, m->c1);
    } else {
        flyt__ct_puts(u->b, last ? "" : ",");
        copy(u, g->v1, m->c1);
    }
}

static void units(struct up *u, const struct ct_node *m)
{
    const struct ct_node *g = m;
    const struct ct_node *found[N_OF(unit_forms)];
    int n_found = 0;
    for (int k = 0; k < N_OF(unit_forms); k++) {
        found[k] = flyt__ct_member(u->doc, g, unit_forms[k].old_name);
        n_found += found[k] != NULL;
    }
    copy(u, m->c0, m->n1);
    const char *colon = memchr(u->t + m->n1, ':', m->v0 - m->n1);
    if (colon) {
        copy(u, m->n1, (size_t)(colon - u->t));
        flyt__ct_puts(u->b, " =");
        copy(u, (size_t)(colon - u->t) + 1, m->v0);
    } else {
        copy(u, m->n1, m->v0);
    }
    flyt__ct_puts(u->b, "(");
    copy(u, g->v0 + 1, g->head);
    size_t ilen = 0, mlen = 0;
    const char *ind = g->n_kid ? indent_at(u->t, 0, g->kid[0].n0, &ilen) : NULL;
    const char *mind = indent_at(u->t, 0, m->n0, &mlen);
    if (ilen)
        snprintf(u->indent, sizeof u->indent, "%.*s", (int)ilen, ind);
    else
        snprintf(u->indent, sizeof u->indent, "%.*s  ", (int)mlen, mind);
    flyt__ct_puts(u->b, u->nl);
    flyt__ct_puts(u->b, u->indent);
    flyt__ct_puts(u->b, hospital_unit);
    flyt__ct_puts(u->b, n_found ? "," : "");
    int done = 0;
    for (int k = 0; k < N_OF(unit_forms); k++)
        if (found[k])
            unit(u, found[k], &unit_forms[k], ++done == n_found);
    /* what the conversion cannot place (an @include inside units) */
    for (int i = 0; i < g->n_kid; i++)
        if (g->kid[i].kind == CT_INCLUDE)
            copy(u, g->kid[i].c0, g->kid[i].c1);
    size_t tail = tail_start(g);
    if (memchr(u->t + tail, '\n', g->v1 - tail)) {
        copy(u, tail, g->v1 - 1);
    } else {
        flyt__ct_puts(u->b, u->nl);
        flyt__ct_put(u->b, mind, mlen);
    }
    flyt__ct_puts(u->b, ")");
    copy(u, g->v1, m->c1);
}

/* ---- the whole file ---- */

static bool weekdays_only(const struct ct_doc *doc)
{
    const struct ct_node *d = flyt__ct_member(doc, &doc->root, "decision");
    const struct ct_node *w = flyt__ct_member(doc, d, "admissions_on_weekends");
    return w && w->kind == CT_SCALAR && w->v1 - w->v0 == 5 &&
           strncasecmp(doc->text + w->v0, "false", 5) == 0;
}

static void root(struct up *u)
{
    const struct ct_node *r = &u->doc->root;
    copy(u, 0, r->v0);
    for (int i = 0; i < r->n_kid; i++) {
        const struct ct_node *m = &r->kid[i];
        const struct rule *rule = find_rule(u, m, root_rules, N_OF(root_rules));
        if (rule && rule->how == UNITS && m->kind == CT_GROUP)
            units(u, m);
        else
            chunk(u, m, rule && rule->how != UNITS ? rule : NULL, false);
    }
    copy(u, tail_start(r), r->v1);
}

char *flyt__upgrade_scenario_text(const struct ct_doc *doc)
{
    struct ct_buf b = { 0 };
    const char *crlf = strstr(doc->text, "\r\n");
    const char *lf = strchr(doc->text, '\n');
    struct up u = { doc, doc->text, &b, crlf && crlf + 1 == lf ? "\r\n" : "\n", weekdays_only(doc),
                    "",  false };
    root(&u);
    flyt__ct_put(&b, "", 0);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
