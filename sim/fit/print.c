/* The fit on the terminal: the window and counts, each estimate with the
 * records behind it and its interval, then the notes. */
#include "fit/fit_internal.h"
#include "flyt/date.h"
#include "flyt/scenario.h"

#include <math.h>
#include <stdio.h>

static void date(FILE *out, int day)
{
    int y, m, d;
    flyt_civil_from_days(day, &y, &m, &d);
    fprintf(out, "%04d-%02d-%02d", y, m, d);
}

static void print_dist(FILE *out, const struct flyt_fit_dist *d)
{
    fprintf(out, "  %-40s %-14s n %6zu (%5zu open)  ", d->key, d->label, d->n, d->n - d->n_events);
    if (d->best < 0) {
        fprintf(out, "empirical (no family fits); KM median %.3g\n", d->km.median);
        return;
    }
    const struct flyt_est_fit *x = &d->fits[d->best];
    fprintf(out, "%-11s mean %8.4g [%.4g, %.4g]", flyt_est_family_name(x->family), x->mean,
            x->mean_lo, x->mean_hi);
    if (x->family != FLYT_EST_EXPONENTIAL)
        fprintf(out, "  sd %8.4g [%.4g, %.4g]", x->sd, x->sd_lo, x->sd_hi);
    if (isfinite(x->gof_p))
        fprintf(out, "  fit p %.2g", x->gof_p);
    fputc('\n', out);
}

void flyt_fit_print(FILE *out, const struct flyt_fit *f)
{
    fputs("flyt fit: records from ", out);
    date(out, f->from_day);
    fputs(" to ", out);
    date(out, f->until_day);
    fprintf(out, " (%zu whole days): %zu stays, %zu discharge-ready periods, %zu patients\n",
            f->n_days, f->n_stays, f->n_ready, f->n_patients);
    if (f->arrivals.ok) {
        const struct flyt_est_rate_model *a = &f->arrivals;
        fprintf(out, "\narrivals: %zu admissions from the community, %zu readmissions\n",
                f->n_arrivals, f->n_readmissions);
        fprintf(out, "  admissions_per_day %.4g [%.4g, %.4g]; month %s, weekday %s, trend ",
                a->base, a->base_lo, a->base_hi, f->month_fitted ? "fitted" : "not fitted",
                f->weekday_fitted ? "fitted" : "not fitted");
        if (f->trend_fitted)
            fprintf(out, "%.4g a year [%.4g, %.4g]", a->growth, a->growth_lo, a->growth_hi);
        else
            fputs("not fitted", out);
        fprintf(out, "; dispersion %.2f\n", a->dispersion);
    }
    fputs("\ndurations (days; 95% intervals):\n", out);
    for (size_t i = 0; i < f->n_dists; i++)
        print_dist(out, &f->dists[i]);
    fputs("\nshares (simultaneous 95% intervals):\n", out);
    for (size_t i = 0; i < f->n_shares; i++) {
        const struct flyt_fit_shares *sh = &f->shares[i];
        fprintf(out, "  %-40s %-14s n %6.0f ", sh->key, sh->label, sh->total);
        for (int j = 0; j < sh->n_cat; j++)
            if (sh->count[j] > 0)
                fprintf(out, " %s %.3f [%.3f, %.3f]", sh->cat[j], sh->share[j], sh->lo[j],
                        sh->hi[j]);
        fputc('\n', out);
    }
    if (f->n_rates)
        fputs("\nhazards (events per person-year at risk, exact 95% intervals):\n", out);
    for (size_t i = 0; i < f->n_rates; i++) {
        const struct flyt_fit_rates *r = &f->rates[i];
        fprintf(out, "  %-40s %-14s %8.1f person-years ", r->key, r->label, r->exposure_years);
        for (int j = 0; j < r->n_cat; j++)
            if (r->events[j] > 0)
                fprintf(out, " %s %.3g [%.3g, %.3g]", r->cat[j], r->rate[j], r->lo[j], r->hi[j]);
        fputc('\n', out);
    }
    if (f->n_notes)
        fputs("\nnotes:\n", out);
    for (size_t i = 0; i < f->n_notes; i++)
        fprintf(out, "  %s\n", f->notes[i]);
}
