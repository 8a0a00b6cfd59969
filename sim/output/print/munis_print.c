/* A region's municipalities in the terminal table and in JSON: every KPI
 * per municipality goes to JSON (and HDF5); the table shows the figures a
 * helsefellesskap compares its members by, one row each. */
#include "output/print/munis_print.h"
#include "output/print/print_util.h"

#include <math.h>
#include <string.h>

static const int table_kpis[] = { FLYT_KPI_arrivals,          FLYT_KPI_ukp_patients,
                                  FLYT_KPI_ukp_days_per_year, FLYT_KPI_ukp_payment_per_year,
                                  FLYT_KPI_occ_ukp,           FLYT_KPI_readmission_rate };
#define N_TABLE ((int)(sizeof table_kpis / sizeof table_kpis[0]))

void flyt__munis_print_table(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum)
{
    if (!sum->muni || sum->n_munis == 0 || (int)sum->n_munis != s->n_munis)
        return;
    int wid = 12;
    for (int i = 0; i < s->n_munis; i++)
        if ((int)strlen(s->munis[i].id) > wid)
            wid = (int)strlen(s->munis[i].id);
    fprintf(out, "\nper municipality (mean over replications; every KPI in JSON and HDF5)\n");
    fprintf(out, "%-*s  %12s  %-25s", wid, "municipality", "ukp_wait_mean", "95% CI");
    for (int c = 0; c < N_TABLE; c++)
        fprintf(out, "  %*s", c == 3 ? 14 : 12, flyt_kpi_defs[table_kpis[c]].name);
    fputc('\n', out);
    for (int i = 0; i < s->n_munis; i++) {
        const struct flyt_stat *st = flyt_summary_muni(sum, (unsigned)i);
        char mean[32], ci[80];
        fprintf(out, "%-*s  %12s  %-25s", wid, s->munis[i].id,
                flyt__fmt_num(mean, sizeof mean, st[FLYT_KPI_ukp_wait_mean].mean),
                flyt__fmt_interval(ci, sizeof ci, st[FLYT_KPI_ukp_wait_mean].ci_low,
                                   st[FLYT_KPI_ukp_wait_mean].ci_high));
        for (int c = 0; c < N_TABLE; c++)
            fprintf(out, "  %*s", c == 3 ? 14 : 12,
                    flyt__fmt_num(mean, sizeof mean, st[table_kpis[c]].mean));
        fputc('\n', out);
    }
    if (!sum->site || sum->n_sites == 0)
        return;
    fprintf(out, "\nUKP bed-days a year at each hospital site, by home municipality\n");
    for (unsigned j = 0; j < sum->n_sites; j++) {
        int u = -1, k = 0;
        for (int x = 0; x < s->n_units && u < 0; x++)
            if (s->units[x].hospital && k++ == (int)j)
                u = x;
        fprintf(out, "  %s:", u >= 0 ? s->units[u].id : "?");
        int shown = 0;
        for (int i = 0; i < s->n_munis; i++) {
            double v = sum->site[(size_t)i * sum->n_sites + j].mean;
            if (!(v > 0))
                continue;
            char num[32];
            fprintf(out, "%s %s %s", shown++ ? "," : "", s->munis[i].id,
                    flyt__fmt_num(num, sizeof num, v));
        }
        fputs(shown ? "\n" : " none\n", out);
    }
}

static void json_stat(FILE *out, const char *name, const struct flyt_stat *st)
{
    int ci = isfinite(st->ci_low) && isfinite(st->ci_high);
    flyt__json_str(out, name);
    fputs(": {\"mean\": ", out);
    flyt__json_num(out, st->mean);
    fputs(", \"ci95\": [", out);
    flyt__json_num(out, ci ? st->ci_low : NAN);
    fputs(", ", out);
    flyt__json_num(out, ci ? st->ci_high : NAN);
    fprintf(out, "], \"n\": %u}", st->n);
}

void flyt__munis_print_json(FILE *out, const struct flyt_scenario *s,
                            const struct flyt_summary *sum)
{
    if (!sum->muni || sum->n_munis == 0 || (int)sum->n_munis != s->n_munis)
        return;
    fputs(",\n \"municipalities\": {", out);
    for (int i = 0; i < s->n_munis; i++) {
        fputs(i ? ",\n  " : "\n  ", out);
        flyt__json_str(out, s->munis[i].id);
        fputs(": {\"name\": ", out);
        flyt__json_str(out, s->munis[i].name ? s->munis[i].name : s->munis[i].id);
        const struct flyt_stat *st = flyt_summary_muni(sum, (unsigned)i);
        for (int k = 0; k < FLYT_N_KPI; k++) {
            fputs(", ", out);
            json_stat(out, flyt_kpi_defs[k].name, &st[k]);
        }
        fputc('}', out);
    }
    fputs(" }", out);
    if (!sum->site || sum->n_sites == 0)
        return;
    fputs(",\n \"hospital_sites\": {", out);
    unsigned j = 0;
    for (int u = 0; u < s->n_units && j < sum->n_sites; u++) {
        if (!s->units[u].hospital)
            continue;
        fputs(j ? ",\n  " : "\n  ", out);
        flyt__json_str(out, s->units[u].id);
        fputs(": {\"ukp_bed_days_per_year_by_home\": {", out);
        for (int i = 0; i < s->n_munis; i++) {
            fputs(i ? ", " : "", out);
            json_stat(out, s->munis[i].id, &sum->site[(size_t)i * sum->n_sites + j]);
        }
        fputs("}}", out);
        j++;
    }
    fputs(" }", out);
}
