/* Coordinator roles in the terminal summary: one block per role after the
 * KPI table, and a "roles" object in the JSON summary. */
#include "output/print/roles_print.h"
#include "output/print/print_util.h"

#include <math.h>

void flyt__roles_print_table(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum)
{
    for (int r = 0; r < s->n_roles && (unsigned)r < sum->n_roles; r++) {
        const struct flyt_role *role = &s->roles[r];
        fprintf(out, "\ncoordinator role '%s': headcount %d, %s cases, %g-%g h\n", role->name,
                role->headcount, role->cases == FLYT_CASE_UKP ? "UKP" : "short-term",
                role->shift_from, role->shift_to);
        fprintf(out, "  %-19s  %-8s  %12s  %-27s  %5s\n", "role KPI", "units", "mean", "95% CI",
                "n");
        for (int k = 0; k < FLYT_N_ROLE_KPI; k++) {
            const struct flyt_stat *st = &sum->role[r][k];
            char mean[32], ci[80];
            fprintf(out, "  %-19s  %-8s  %12s  %-27s  %5u\n", flyt_role_kpi_defs[k].name,
                    flyt_role_kpi_defs[k].units, flyt__fmt_num(mean, sizeof mean, st->mean),
                    flyt__fmt_interval(ci, sizeof ci, st->ci_low, st->ci_high), st->n);
        }
    }
}

void flyt__roles_print_json(FILE *out, const struct flyt_scenario *s,
                            const struct flyt_summary *sum)
{
    fputs(",\n \"roles\": {", out);
    for (int r = 0; r < s->n_roles && (unsigned)r < sum->n_roles; r++) {
        fputs(r ? ",\n  " : "\n  ", out);
        flyt__json_str(out, s->roles[r].name);
        fprintf(out, ": {\"headcount\": %d", s->roles[r].headcount);
        for (int k = 0; k < FLYT_N_ROLE_KPI; k++) {
            const struct flyt_stat *st = &sum->role[r][k];
            int ci = isfinite(st->ci_low) && isfinite(st->ci_high);
            fputs(", ", out);
            flyt__json_str(out, flyt_role_kpi_defs[k].name);
            fputs(": {\"mean\": ", out);
            flyt__json_num(out, st->mean);
            fputs(", \"ci95\": [", out);
            flyt__json_num(out, ci ? st->ci_low : NAN);
            fputs(", ", out);
            flyt__json_num(out, ci ? st->ci_high : NAN);
            fprintf(out, "], \"n\": %u}", st->n);
        }
        fputc('}', out);
    }
    fputs(s->n_roles ? "\n }" : "}", out);
}
