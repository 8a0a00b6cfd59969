/* flyt upgrade for sweep and calibration specs: they name scenario keys
 * (`key`, `keys`, `set`) and KPIs (`kpi`) in strings, which the network
 * form renames. The tables below are the spec's "old -> new" lists. */
#include "flyt/upgrade.h"
#include "scenario/upgrade_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair {
    const char *from, *to;
};

#define N_OF(a) (int)(sizeof(a) / sizeof((a)[0]))

/* Whole path components: a key equal to from, or below it. */
static const struct pair key_map[] = {
    { "units.short_term.beds", "units.short_term.capacity" },
    { "units.nursing_home.beds", "units.nursing_home.capacity" },
    { "units.home_care.hours_per_week", "units.home_care.capacity" },
    { "units.home_care.initial_users", "units.home_care.initial_clients" },
    { "units.home_care.hours_per_user", "units.home_care.hours_per_client" },
    { "report.nh_target_days", "report.wait_target_days" },
};

static const struct pair kpi_map[] = {
    { "ukp_wait_mean_home_care", "units.home_care.ukp_wait_mean" },
    { "ukp_wait_mean_short_term", "units.short_term.ukp_wait_mean" },
    { "ukp_wait_mean_nursing_home", "units.nursing_home.ukp_wait_mean" },
    { "st_los_mean", "units.short_term.los_mean" },
    { "st_los_median", "units.short_term.los_median" },
    { "st_admissions", "units.short_term.admissions" },
    { "st_admission_cfs_mean", "units.short_term.admission_cfs_mean" },
    { "occ_short_term", "units.short_term.occupancy" },
    { "util_short_term", "units.short_term.utilisation" },
    { "occ_nursing_home", "units.nursing_home.occupancy" },
    { "util_nursing_home", "units.nursing_home.utilisation" },
    { "occ_home_care_users", "units.home_care.occupancy" },
    { "home_care_hours", "units.home_care.hours_used" },
    { "util_home_care", "units.home_care.utilisation" },
    { "nh_wait_mean", "units.nursing_home.wait_mean" },
    { "nh_within_target", "units.nursing_home.wait_within_target" },
    { "nh_admissions", "units.nursing_home.admissions" },
    { "deaths_hospital", "units.hospital.deaths" },
    { "deaths_short_term", "units.short_term.deaths" },
    { "deaths_nursing_home", "units.nursing_home.deaths" },
    { "deaths_home_care", "units.home_care.deaths" },
};

const char *flyt_upgrade_kpi(const char *kpi)
{
    for (int i = 0; i < N_OF(kpi_map); i++)
        if (strcmp(kpi, kpi_map[i].from) == 0)
            return kpi_map[i].to;
    return NULL;
}

static int put_key(char *buf, size_t len, const char *a, size_t na, const char *b)
{
    int w = snprintf(buf, len, "%.*s%s", (int)na, a, b);
    return w >= 0 && (size_t)w < len ? 1 : -1;
}

int flyt_upgrade_key(const char *key, char *buf, size_t len)
{
    if (strcmp(key, "decision.admissions_on_weekends") == 0)
        return -1;
    for (int i = 0; i < N_OF(key_map); i++) {
        size_t n = strlen(key_map[i].from);
        if (strncmp(key, key_map[i].from, n) == 0 && (key[n] == '\0' || key[n] == '.'))
            return put_key(buf, len, key_map[i].to, strlen(key_map[i].to), key + n);
    }
    /* the services-end route of home care is the exit home */
    static const char rates[] = "units.home_care.rates_per_year.";
    size_t n = strlen(key);
    if (strncmp(key, rates, sizeof rates - 1) == 0 && n >= 4 && strcmp(key + n - 4, ".end") == 0)
        return put_key(buf, len, key, n - 3, "home");
    return 0;
}

struct spec {
    const struct ct_doc *doc;
    const char *name;
    struct ct_buf *out, *notes;
    size_t done; /* text up to here is in out */
};

/* The text of a plain "..." literal (no escapes, not split), or NULL. */
static bool plain_string(const char *t, const struct ct_node *v, size_t *a, size_t *c)
{
    if (v->kind != CT_SCALAR || t[v->v0] != '"' || v->v1 - v->v0 < 2 || t[v->v1 - 1] != '"')
        return false;
    for (size_t i = v->v0 + 1; i + 1 < v->v1; i++)
        if (t[i] == '"' || t[i] == '\\')
            return false;
    *a = v->v0 + 1;
    *c = v->v1 - 1;
    return true;
}

static void note(struct spec *sp, size_t at, const char *msg)
{
    char line[1024];
    snprintf(line, sizeof line, "%s:%d: note: %s\n", sp->name,
             flyt__upgrade_line(sp->doc->text, at), msg);
    flyt__ct_puts(sp->notes, line);
}

/* Replaces text[a, c) by s (what lies before it is copied first). */
static void replace(struct spec *sp, size_t a, size_t c, const char *s)
{
    flyt__ct_copy(sp->out, sp->doc->text, sp->done, a);
    flyt__ct_puts(sp->out, s);
    sp->done = c;
}

enum what { KEY, SET, KPI };

static void string(struct spec *sp, const struct ct_node *v, enum what what)
{
    const char *t = sp->doc->text;
    size_t a, c;
    if (!plain_string(t, v, &a, &c)) {
        if (v->kind == CT_SCALAR && t[v->v0] == '"')
            note(sp, v->v0,
                 "a string with escapes or in pieces is left as it is: check it by hand");
        return;
    }
    char old[512], neu[600];
    size_t klen = c - a;
    if (what == SET) {
        const char *eq = memchr(t + a, '=', c - a);
        if (!eq)
            return;
        klen = (size_t)(eq - (t + a));
    }
    if (klen >= sizeof old)
        return;
    memcpy(old, t + a, klen);
    old[klen] = '\0';
    if (what == KPI) {
        const char *k = flyt_upgrade_kpi(old);
        if (k)
            replace(sp, a, a + klen, k);
        return;
    }
    int rc = flyt_upgrade_key(old, neu, sizeof neu);
    if (rc > 0)
        replace(sp, a, a + klen, neu);
    else if (rc < 0) {
        char msg[700];
        snprintf(msg, sizeof msg,
                 "%s has no counterpart in the network form (each unit's admission_days = "
                 "\"all\" or \"weekdays\"): change it by hand",
                 old);
        note(sp, v->v0, msg);
    }
}

static void walk(struct spec *sp, const struct ct_node *n)
{
    for (int i = 0; i < n->n_kid; i++) {
        const struct ct_node *m = &n->kid[i];
        bool named = m->n0 < m->n1;
        bool key = named && flyt__ct_name_is(sp->doc, m, "key");
        bool kpi = named && flyt__ct_name_is(sp->doc, m, "kpi");
        bool keys = named && flyt__ct_name_is(sp->doc, m, "keys");
        bool set = named && flyt__ct_name_is(sp->doc, m, "set");
        if ((key || kpi) && m->kind == CT_SCALAR) {
            string(sp, m, kpi ? KPI : KEY);
        } else if ((keys || set) && m->kind == CT_ARRAY) {
            for (int j = 0; j < m->n_kid; j++)
                string(sp, &m->kid[j], set ? SET : KEY);
        } else {
            walk(sp, m);
        }
    }
}

char *flyt__upgrade_spec_text(const struct ct_doc *doc, const char *name, struct ct_buf *notes)
{
    struct ct_buf out = { 0 };
    struct spec sp = { doc, name, &out, notes, 0 };
    walk(&sp, &doc->root);
    flyt__ct_puts(&out, doc->text + sp.done);
    if (out.failed) {
        free(out.s);
        return NULL;
    }
    return out.s;
}
