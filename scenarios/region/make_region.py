#!/usr/bin/python3
"""Write a flyt region scenario (docs/region.md) for Troms og Ofoten or Norway.

    make_region.py troms-ofoten > troms-ofoten.cfg
    make_region.py norway > norway.cfg
    make_region.py catchments --outdir DIR   # norway.cfg cut into its catchments
    make_region.py csv --pop Personer2024.csv --ward Personerward2024.csv \
                       --boomr boomr.csv [--outdir .]

The scenarios are built from the two CSV files next to this script
(troms-ofoten-municipalities.csv, norway-municipalities.csv) and from
scenarios/trondheim-2025.cfg: its region-wide sections are copied with their
comments, its three municipal units (short_term, nursing_home, home_care) are
copied without comments for every municipality with the capacities and
initial counts scaled by the municipality's population aged 80+, and its
admissions a day are scaled the same way. The `csv` mode rebuilds the two CSV
files from the source files named in README.md (SSB tables 07459 and 10826 as
committed in niphr/csdata, SKDE's boomr.csv).

The `catchments` mode writes norway.cfg's municipalities as separate regions,
one per catchment: the municipalities joined, directly or through others, by
the hospital trusts their shares name (Oslo's four trusts make one
catchment). No two of these regions share a unit, so, as flyt's streams are
keyed by municipality, each municipality's figures in its catchment are
exactly its figures in norway.cfg (docs/region.md, "Scale", uses this to
measure what simulating the country catchment by catchment would cost).

Standard library only; the output depends only on the input files (no time,
no randomness), so every run gives the same bytes.
"""

import argparse
import csv
import io
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
TRONDHEIM_CFG = os.path.join(HERE, "..", "trondheim-2025.cfg")
TROMS_CSV = os.path.join(HERE, "troms-ofoten-municipalities.csv")
NORWAY_CSV = os.path.join(HERE, "norway-municipalities.csv")

TRONDHEIM_KNR = "5001"
NATIONAL_UKP_2021 = 82500      # Helsedirektoratet, SAMDATA: UKP patients 2021 (somatic)
NATIONAL_UKP_STAYS_2022 = 154000  # same report: discharge-ready stays 2022
TRONDHEIM_UKP_WAITS = 6526     # flyt, trondheim-2025.cfg, 20 replications: ukp_patients a year

# UNN local-hospital areas (SKDE `bosh`) -> shared unit ids and names.
UNN_SITES = {
    "21": ("unn_tromso", "UNN Tromsø"),
    "22": ("unn_harstad", "UNN Harstad"),
    "23": ("unn_narvik", "UNN Narvik"),
}

# SKDE `bohf` (hospital-trust catchment) -> the trust's own name. Lovisenberg
# and Diakonhjemmet are private non-profit hospitals with a catchment in Oslo
# under Helse Sør-Øst, not HFs; SKDE counts them as areas of their own.
HF_NAMES = {
    "1": ("Finnmark", "Helse Finnmark"),
    "2": ("UNN", "Universitetssykehuset Nord-Norge (UNN)"),
    "3": ("Nordland", "Nordlandssykehuset"),
    "4": ("Helgeland", "Helgelandssykehuset"),
    "6": ("Nord-Trøndelag", "Helse Nord-Trøndelag"),
    "7": ("St. Olav", "St. Olavs hospital"),
    "8": ("Møre og Romsdal", "Helse Møre og Romsdal"),
    "10": ("Førde", "Helse Førde"),
    "11": ("Bergen", "Helse Bergen"),
    "12": ("Fonna", "Helse Fonna"),
    "13": ("Stavanger", "Helse Stavanger"),
    "14": ("Østfold", "Sykehuset Østfold"),
    "15": ("Akershus", "Akershus universitetssykehus"),
    "16": ("OUS", "Oslo universitetssykehus"),
    "17": ("Lovisenberg", "Lovisenberg Diakonale Sykehus"),
    "18": ("Diakonhjemmet", "Diakonhjemmet Sykehus"),
    "19": ("Innlandet", "Sykehuset Innlandet"),
    "20": ("Vestre Viken", "Vestre Viken"),
    "21": ("Vestfold", "Sykehuset i Vestfold"),
    "22": ("Telemark", "Sykehuset Telemark"),
    "23": ("Sørlandet", "Sørlandet sykehus"),
}


HC_MIN_HOURS = 60.0  # assumption: see write_cfg


def ascii_id(text):
    """Lower-case ASCII key: æ -> ae, ø -> o, å -> a, accents dropped."""
    t = text.lower()
    for a, b in (("æ", "ae"), ("ø", "o"), ("å", "a"), ("đ", "d"),
                 ("ŋ", "n"), ("ŧ", "t"), ("ß", "ss")):
        t = t.replace(a, b)
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"[^a-z0-9]+", "_", t).strip("_")
    if not t or not t[0].isalpha():
        raise SystemExit("make_region.py: no usable id for %r" % text)
    return t[:47]


# ---------------------------------------------------------------- csv mode

def read_ssb(path):
    """SSB export (Latin-1, ';'): "region";"age";"Persons 2024" -> {region: {age: n}}."""
    with open(path, encoding="latin-1", newline="") as f:
        lines = f.read().splitlines()
    out = {}
    header = None
    for row in csv.reader(lines, delimiter=";"):
        if header is None:
            if row and row[0] == "region":
                header = row
            continue
        if len(row) < 3 or not row[2].strip():
            continue
        m = re.match(r"(\d+)", row[1])
        if not m:
            continue
        out.setdefault(row[0], {})[int(m.group(1))] = int(row[2])
    return out


def sums(ages):
    return (sum(ages.values()),
            sum(n for a, n in ages.items() if a >= 67),
            sum(n for a, n in ages.items() if a >= 80))


def build_csv(args):
    pop = {}
    ssb_name = {}
    for region, ages in read_ssb(args.pop).items():
        m = re.match(r"K-(\d{4}) (.*)$", region)
        if m:
            pop[m.group(1)] = sums(ages)
            ssb_name[m.group(1)] = m.group(2)
    ward80 = {}
    for region, ages in read_ssb(args.ward).items():
        m = re.match(r"(\d{6})a? [^(]*$", region)
        if m:   # current bydeler only (old ones carry years in brackets)
            ward80[str(int(m.group(1)))] = sums(ages)[2]   # "030101" -> "30101" as in boomr
    with open(args.boomr, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    area = {}   # knr -> {bohf: 80+ weight}, plus names
    info = {}
    for r in rows:
        if not r["komnr"]:
            continue
        knr = r["komnr"].zfill(4)
        if knr not in pop:
            continue
        info.setdefault(knr, r)
        if not r["bydel"] and any(x["bydel"] and x["komnr"] == r["komnr"] for x in rows):
            continue    # a municipality's total row next to its bydeler
        w = ward80[r["bydel"]] if r["bydel"] else 1
        d = area.setdefault(knr, {})
        d[(r["bohf"], r["bohf_navn"], r["bosh"], r["bosh_navn"])] = \
            d.get((r["bohf"], r["bohf_navn"], r["bosh"], r["bosh_navn"]), 0) + w
    missing = sorted(set(pop) - set(area))
    if missing:
        raise SystemExit("make_region.py: no SKDE area for %s" % ", ".join(missing))

    out_rows = []
    ids = set()
    for knr in sorted(pop):
        r = info[knr]
        name = re.sub(r"^\d+ ", "", r["komnr_navn"])
        name = re.sub(r" kommune$", "", name)
        mid = ascii_id(name.replace("(", " ").replace(")", " "))
        if mid in ids:
            raise SystemExit("make_region.py: duplicate id %s" % mid)
        ids.add(mid)
        # HF shares: one HF, or (Oslo) the bydeler's 80+ population per HF.
        hf = {}
        sh = {}
        for (bohf, bohf_navn, bosh, bosh_navn), w in area[knr].items():
            hf[(bohf, bohf_navn)] = hf.get((bohf, bohf_navn), 0) + w
            sh[(bosh, bosh_navn)] = sh.get((bosh, bosh_navn), 0) + w
        total = sum(hf.values())
        hfs = sorted(hf.items(), key=lambda kv: (-kv[1], int(kv[0][0])))
        main = hfs[0][0]
        shmain = sorted(sh.items(), key=lambda kv: (-kv[1], int(kv[0][0])))[0][0]
        if len(hfs) == 1:
            shares = "hf_%s=1.0" % ascii_id(main[1])
            src = "skde_boomr"
        else:
            shares = ";".join("hf_%s=%.4f" % (ascii_id(k[1]), v / total) for k, v in hfs)
            src = "skde_boomr_bydel"
        t, p67, p80 = pop[knr]
        out_rows.append([knr, mid, name, ssb_name[knr], t, p67, p80,
                         r["borhf_navn"], main[0], main[1], "hf_" + ascii_id(main[1]),
                         shmain[0], shmain[1], src, shares])
    header = ["kommunenummer", "id", "name", "ssb_name", "pop_total", "pop67", "pop80",
              "rhf", "bohf", "hf", "hf_id", "bosh", "local_hospital", "hf_source", "hf_shares"]
    write_csv(os.path.join(args.outdir, "norway-municipalities.csv"), header, out_rows)

    unn = [r for r in out_rows if r[8] == "2"]
    trows = []
    for r in unn:
        site = UNN_SITES[r[11]][0]
        trows.append([r[1], r[2], r[0], site, r[5], r[6], r[4], "ssb07459;skde_boomr"])
    trows.sort(key=lambda r: r[2])
    write_csv(os.path.join(args.outdir, "troms-ofoten-municipalities.csv"),
              ["id", "name", "kommunenummer", "site", "pop67", "pop80", "pop_total",
               "source_ids"], trows)
    sys.stderr.write("csv: %d municipalities, %d in Troms og Ofoten\n"
                     % (len(out_rows), len(trows)))


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# ------------------------------------------------- reading trondheim-2025.cfg

def strip_comment(line):
    """The line without its '#' comment (outside strings), right-stripped."""
    out = []
    in_str = False
    for i, c in enumerate(line):
        if c == '"' and (i == 0 or line[i - 1] != "\\"):
            in_str = not in_str
        if c == "#" and not in_str:
            break
        out.append(c)
    return "".join(out).rstrip()


def section(text, start_re):
    """Text of the top-level setting matching start_re up to its closing ';'
    (balanced braces and parentheses, comments and strings skipped)."""
    m = re.search(start_re, text, re.M)
    if not m:
        raise SystemExit("make_region.py: %s not found in trondheim-2025.cfg" % start_re)
    i = m.start()
    depth = 0
    in_str = in_com = False
    seen = False
    while i < len(text):
        c = text[i]
        if in_com:
            if c == "\n":
                in_com = False
        elif in_str:
            if c == '"' and text[i - 1] != "\\":
                in_str = False
        elif c == "#":
            in_com = True
        elif c == '"':
            in_str = True
        elif c in "{(":
            depth += 1
            seen = True
        elif c in "})":
            depth -= 1
        elif c == ";" and depth == 0 and seen:
            return text[m.start():i + 1]
        i += 1
    raise SystemExit("make_region.py: unbalanced %s in trondheim-2025.cfg" % start_re)


def unit_blocks(units_text):
    """The groups of a `units = ( ... );` list, as text, keyed by id."""
    body = units_text[units_text.index("(") + 1:units_text.rindex(")")]
    blocks = {}
    depth = 0
    in_str = in_com = False
    start = None
    for i, c in enumerate(body):
        if in_com:
            if c == "\n":
                in_com = False
            continue
        if in_str:
            if c == '"' and body[i - 1] != "\\":
                in_str = False
            continue
        if c == "#":
            in_com = True
        elif c == '"':
            in_str = True
        elif c in "{(":
            if depth == 0 and c == "{":
                start = i
            depth += 1
        elif c in "})":
            depth -= 1
            if depth == 0 and c == "}":
                b = body[start:i + 1]
                uid = re.search(r'id\s*=\s*"([^"]+)"', b).group(1)
                blocks[uid] = b
    return blocks


def number(block, key):
    m = re.search(r"^\s*%s\s*=\s*([0-9.]+)\s*;" % key, block, re.M)
    if not m:
        raise SystemExit("make_region.py: %s not found in trondheim-2025.cfg" % key)
    return m.group(1)


def group_table(block, key):
    m = re.search(r"%s\s*=\s*\{([^}]*)\}" % key, block)
    return {k: float(v) for k, v in re.findall(r"(\w+)\s*=\s*([0-9.]+)", m.group(1))}


class Trondheim:
    def __init__(self):
        with open(TRONDHEIM_CFG, encoding="utf-8") as f:
            self.text = f.read()
        t = self.text
        self.population = section(t, r"^population\s*:")
        self.groups = section(t, r"^groups\s*=")
        self.hospital = section(t, r"^hospital\s*:")
        self.decision = section(t, r"^decision\s*:")
        self.report = section(t, r"^report\s*:")
        self.cost = section(t, r"^cost\s*:")
        self.units = unit_blocks(section(t, r"^units\s*="))
        self.admissions = float(number(self.population, "admissions_per_day"))
        cfs = re.search(r"cfs_mix\s*=\s*\[([^\]]*)\]", self.population).group(1)
        self.cfs_mix = [float(x) for x in cfs.split(",")]
        self.group_cfs = {n: (int(a), int(b)) for n, a, b in re.findall(
            r'name\s*=\s*"(\w+)";\s*cfs\s*=\s*\[(\d+),\s*(\d+)\]', self.groups)}
        self.ukp = group_table(self.hospital, "ukp_probability")
        self.death = group_table(self.hospital, "death_probability")

    def ukp_per_admission(self):
        """UKP episodes per emergency admission from the community: survivors
        of treatment (death_probability drawn first) times ukp_probability."""
        p = 0.0
        for g, (lo, hi) in self.group_cfs.items():
            mix = sum(self.cfs_mix[lo - 1:hi])
            p += mix * (1.0 - self.death[g]) * self.ukp[g]
        return p


# ------------------------------------------------------------ cfg writing

def uncommented(block, indent):
    lines = [strip_comment(l) for l in block.splitlines()]
    lines = [l for l in lines if l.strip()]
    # re-indent: drop the block's own leading indent, add ours
    first = lines[0].lstrip()
    rest = lines[1:]
    base = min((len(l) - len(l.lstrip()) for l in rest[:-1]), default=0)
    out = [indent + first] + [indent + "  " + l[base:] for l in rest[:-1]]
    if rest:
        out.append(indent + rest[-1].lstrip())
    return "\n".join(out)


def scaled_unit(block, subs, indent):
    text = uncommented(block, indent)
    for key, value in subs.items():
        text, n = re.subn(r"(\b%s\s*=\s*)[0-9.]+;" % key, r"\g<1>%s;" % value, text, count=1)
        if n != 1:
            raise SystemExit("make_region.py: %s not found in a unit" % key)
    return text


def region_population(tr):
    """Region-wide population defaults: Trondheim's section without its
    admissions_per_day (given per municipality) and the comment above it."""
    lines = tr.population.splitlines()
    out = [lines[0]]
    i = 1
    while not re.match(r"\s*admissions_per_day\s*=", lines[i]):
        i += 1
    out.append("  # admissions_per_day: per municipality (below). The other keys are")
    out.append("  # Trondheim's, for every municipality (assumption).")
    out.extend(lines[i + 1:])
    return "\n".join(out)


def fmt_share(x):
    s = "%.4f" % x
    return s


def write_cfg(kind, munis, sites, tr, scale, seed, out):
    """munis: list of dicts id, name, knr, pop80, sites {site: share}."""
    t80 = tr.trondheim_80
    a = tr.admissions
    st = tr.units["short_term"]
    nh = tr.units["nursing_home"]
    hc = tr.units["home_care"]
    st_cap = int(number(st, "capacity"))
    nh_cap = int(number(nh, "capacity"))
    hc_cap = float(number(hc, "capacity"))
    hc_init = int(number(hc, "initial_clients"))
    w = out.write

    if kind == "troms-ofoten":
        w('# Troms og Ofoten: the 24 municipalities of Helsefellesskapet Troms og\n'
          '# Ofoten around UNN (Universitetssykehuset Nord-Norge) with its three\n'
          '# somatic sites Tromsø, Harstad and Narvik: a region scenario\n'
          '# (docs/region.md).\n')
    elif kind == "st-olavs":
        w('# St. Olavs: the municipalities in the catchment of St. Olavs hospital HF\n'
          '# (SKDE `bohf` St. Olav), Trondheim among them, as one region around one\n'
          '# hospital: a region scenario (docs/region.md).\n')
    elif kind == "trondheim":
        w('# Trondheim alone as a region of one municipality around St. Olavs: the\n'
          '# smallest of the region scenarios, for the benchmark\'s growth from one\n'
          '# municipality to the country (flyt bench --only region).\n')
    elif kind.startswith("catchment-"):
        w('# One catchment of norway.cfg: the municipalities whose hospital shares\n'
          '# reach %s (directly or through a neighbour), as a region of their\n'
          '# own: a region scenario (docs/region.md).\n' % ", ".join(k for k, _ in sites))
    else:
        w('# Norway: all 357 municipalities (1 January 2024) as one region, each with\n'
          '# the hospital trust (HF) whose catchment it belongs to: a region scenario\n'
          '# (docs/region.md).\n')
    w('#\n'
      '# GENERATED by scenarios/region/make_region.py %s (do not edit by hand;\n'
      '# edit the script or its CSV and rerun). Sources: scenarios/region/README.md\n'
      '# and the "Regions" section of scenarios/README.md.\n'
      '#\n'
      '# What is sourced:\n'
      '#   - municipalities, kommunenummer, population aged 80+ on 1 Jan 2024:\n'
      '#     SSB table 07459 (as committed in niphr/csdata);\n'
      '#   - each municipality\'s hospital (site or trust): SKDE\'s catchment areas\n'
      '#     (boomr.csv, SKDE-Analyse/sas_codes; `bosh` for the UNN sites, `bohf`\n'
      '#     for the trusts; Oslo split by bydel, SSB table 10826);\n'
      '#   - every region-wide section below is scenarios/trondheim-2025.cfg\'s,\n'
      '#     with its comments and sources.\n'
      '# What is assumed:\n'
      '#   - Trondheim\'s 2025 picture holds everywhere, scaled by the population\n'
      '#     aged 80+: admissions a day = %.1f x pop80 / %d (trondheim-2025.cfg\'s\n'
      '#     admissions_per_day for Trondheim\'s %d residents aged 80+, SSB 07459,\n'
      '#     1 Jan 2024)%s; short-term and nursing-home beds, home-care hours and\n'
      '#     initial clients = Trondheim\'s (%d beds, %d beds, %.1f h/week, %d\n'
      '#     clients) x pop80 / %d, beds at least 1, home care at least %.0f h/week\n'
      '#     (one client may need up to ~50 h/week; less would stall a strict queue).\n'
      '#     No municipality\'s own\n'
      '#     capacities were found (KOSTRA tables not available here);\n'
      '#   - the stays, routes, queues and decision process are Trondheim\'s.\n'
      % (kind, a, t80, t80,
         (" x %.4f (national scale factor)" % scale) if scale != 1.0 else "",
         st_cap, nh_cap, hc_cap, hc_init, t80, HC_MIN_HOURS))
    if kind == "troms-ofoten":
        w('#   - no intermunicipal unit (KAD, short-term) is declared: no public\n'
          '#     fact about one (capacity, members) was found to cite.\n')
    w('\n')
    if kind == "troms-ofoten":
        w('name = "troms-ofoten";\n'
          'description = "Helsefellesskapet Troms og Ofoten: 24 municipalities, UNN Tromsø, Harstad and Narvik; Trondheim 2025 scaled by population 80+.";\n\n')
    elif kind in ("st-olavs", "trondheim"):
        w('name = "%s";\n'
          'description = "%s around St. Olavs hospital; Trondheim 2025 scaled by population 80+.";\n\n'
          % (kind, "Trondheim alone" if kind == "trondheim" else
             "The %d municipalities of St. Olavs\' catchment" % len(munis)))
    elif kind.startswith("catchment-"):
        w('name = "%s";\n'
          'description = "The %d municipalities of the catchment of %s; Trondheim 2025 scaled by population 80+.";\n\n'
          % (kind, len(munis), " and ".join(name for _, name in sites)))
    else:
        w('name = "norway";\n'
          'description = "Norway, 357 municipalities and the hospital trusts\' catchments; Trondheim 2025 scaled by population 80+.";\n\n')
    w('run: {\n'
      '  start_date = "2025-01-01";    # as trondheim-2025.cfg\n'
      '  horizon_days = 485;           # 120 days of warm-up, then one measured year\n'
      '  warmup_days = 120;\n'
      '  replications = 10;\n'
      '  seed = %dL;\n'
      '};\n\n' % seed)
    w('# ---- Region-wide sections: copied from scenarios/trondheim-2025.cfg with\n'
      '# ---- their comments (the Trondheim figures stand for every municipality).\n\n')
    w(tr.cost + "\n\n")
    w(region_population(tr) + "\n\n")
    w(tr.groups + "\n\n")
    w(tr.hospital + "\n\n")
    w('# The destinations short_term, home_care and nursing_home are the patient\'s\n'
      '# own municipality\'s units (docs/region.md).\n')
    w(tr.decision + "\n\n")
    w(tr.report + "\n\n")

    w('# ---- Hospitals\n')
    if kind == "troms-ofoten":
        w('# UNN\'s three somatic sites. No public bed count per site (or for UNN HF\n'
          '# in the 2020s) was found, so each is unlimited: the model counts the\n'
          '# bed-days its discharge-ready patients hold but no overflow.\n')
    else:
        w('# One hospital per trust catchment (SKDE `bohf`), unlimited: no bed count\n'
          '# per trust for these patients is used (assumption). Lovisenberg and\n'
          '# Diakonhjemmet are private non-profit hospitals with a catchment in Oslo\n'
          '# (not HFs); SKDE counts them as areas of their own.\n')
    w('shared_units = (\n')
    for i, (sid, sname) in enumerate(sites):
        w('  { id = "%s"; name = "%s"; kind = "unlimited"; hospital = true; }%s\n'
          % (sid, sname, "," if i + 1 < len(sites) else ""))
    w(');\n\n')

    w('# ---- Municipalities\n'
      '# admissions_per_day, capacity (beds; hours a week for home_care) and\n'
      '# initial_clients: Trondheim 2025 x pop80 / %d (assumption, see the head\n'
      '# of the file). The units are trondheim-2025.cfg\'s short_term,\n'
      '# nursing_home and home_care without their comments (sources there);\n'
      '# "hospital" in their routes is the patient\'s own hospital site.\n'
      'municipalities = (\n' % t80)
    for i, m in enumerate(munis):
        f = m["pop80"] / t80
        adm = a * f * scale
        w('  { id = "%s"; name = "%s";   # %s, %d aged 80+\n'
          % (m["id"], m["name"], m["knr"], m["pop80"]))
        w('    population = { admissions_per_day = %.3f; };\n' % adm)
        w('    hospital_sites = { %s };\n'
          % " ".join("%s = %s;" % (s, fmt_share(v)) for s, v in m["sites"]))
        w('    units = (\n')
        st_t = scaled_unit(st, {"capacity": max(1, round(st_cap * f))}, "      ")
        nh_t = scaled_unit(nh, {"capacity": max(1, round(nh_cap * f))}, "      ")
        # a caseload smaller than one client's largest plausible need would
        # hold a strict-FIFO queue behind that client for ever (a gridlock):
        # at least HC_MIN_HOURS a week, a nurse's part-time post
        hc_t = scaled_unit(hc, {"capacity": "%.1f" % max(HC_MIN_HOURS, hc_cap * f),
                                "initial_clients": max(1, round(hc_init * f))}, "      ")
        w(st_t + ",\n" + nh_t + ",\n" + hc_t + "\n")
        w('    );\n')
        w('  }%s\n' % ("," if i + 1 < len(munis) else ""))
    w(');\n')


def share_list(text):
    """'hf_a=0.6;hf_b=0.4' -> [(id, share)] summing to exactly 1 at 4 decimals."""
    parts = [p.split("=") for p in text.split(";")]
    ids = [p[0] for p in parts]
    units = [round(float(p[1]) * 10000) for p in parts]
    units[0] += 10000 - sum(units)          # the largest share takes the rounding
    return [(i, u / 10000.0) for i, u in zip(ids, units)]


def load_region(kind):
    munis = []
    if kind == "troms-ofoten":
        with open(TROMS_CSV, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                munis.append({"id": r["id"], "name": r["name"], "knr": r["kommunenummer"],
                              "pop80": int(r["pop80"]), "sites": [(r["site"], 1.0)]})
        used = {s for m in munis for s, _ in m["sites"]}
        sites = [v for k, v in sorted(UNN_SITES.items()) if v[0] in used]
    else:
        with open(NORWAY_CSV, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        if kind == "st-olavs":
            rows = [r for r in rows if r["hf"] == "St. Olav"]
        elif kind == "trondheim":
            rows = [r for r in rows if r["kommunenummer"] == TRONDHEIM_KNR]
        for r in rows:
            munis.append({"id": r["id"], "name": r["name"], "knr": r["kommunenummer"],
                          "pop80": int(r["pop80"]), "sites": share_list(r["hf_shares"])})
        names = {"hf_" + ascii_id(short): (int(k), full)
                 for k, (short, full) in HF_NAMES.items()}
        for r in rows:
            if HF_NAMES[r["bohf"]][0] != r["hf"]:
                raise SystemExit("make_region.py: bohf %s is %s in the CSV" % (r["bohf"], r["hf"]))
        used = {s for m in munis for s, _ in m["sites"]}
        missing = used - set(names)
        if missing:
            raise SystemExit("make_region.py: no trust name for %s" % ", ".join(sorted(missing)))
        sites = [(k, names[k][1]) for k in sorted(used, key=lambda k: names[k][0])]
    return munis, sites


def catchments(munis, sites):
    """norway's municipalities grouped by the trusts their shares join."""
    parent = {k: k for k, _ in sites}

    def root(k):
        while parent[k] != k:
            k = parent[k]
        return k

    for m in munis:
        first = root(m["sites"][0][0])
        for k, _ in m["sites"][1:]:
            parent[root(k)] = first
    order = [k for k, _ in sites]
    groups = {}
    for m in munis:
        groups.setdefault(root(m["sites"][0][0]), []).append(m)
    out = []
    for r in sorted(groups, key=lambda k: min(order.index(s) for m in groups[k]
                                              for s, _ in m["sites"])):
        used = {s for m in groups[r] for s, _ in m["sites"]}
        out.append((groups[r], [(k, v) for k, v in sites if k in used]))
    return out


def write_catchments(tr, args):
    munis, sites = load_region("norway")
    os.makedirs(args.outdir, exist_ok=True)
    for sub, sub_sites in catchments(munis, sites):
        kind = "catchment-" + sub_sites[0][0][3:].replace("_", "-")
        buf = io.StringIO()
        write_cfg(kind, sub, sub_sites, tr, args.scale, args.seed, buf)
        path = os.path.join(args.outdir, kind + ".cfg")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
        os.replace(tmp, path)
        sys.stderr.write("%s: %d municipalities, %s\n"
                         % (path, len(sub), ", ".join(k for k, _ in sub_sites)))


def trondheim_80():
    with open(NORWAY_CSV, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["kommunenummer"] == TRONDHEIM_KNR:
                return int(r["pop80"])
    raise SystemExit("make_region.py: Trondheim (5001) not in norway-municipalities.csv")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("region", choices=["troms-ofoten", "norway", "st-olavs", "trondheim", "csv",
                             "catchments"])
    ap.add_argument("--scale", type=float, default=1.0,
                    help="national scale factor on admissions a day (default 1.0)")
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--pop", help="csv: SSB 07459 export (Personer2024.csv)")
    ap.add_argument("--ward", help="csv: SSB 10826 export (Personerward2024.csv)")
    ap.add_argument("--boomr", help="csv: SKDE formater/boomr.csv")
    ap.add_argument("--outdir", default=HERE,
                    help="csv: where the CSV files go; catchments: where the regions go")
    args = ap.parse_args()
    if args.region == "csv":
        if not (args.pop and args.ward and args.boomr):
            ap.error("csv needs --pop, --ward and --boomr")
        build_csv(args)
        return

    tr = Trondheim()
    tr.trondheim_80 = trondheim_80()
    if args.region == "catchments":
        out = os.path.realpath(args.outdir)
        if out == os.path.realpath(HERE):
            ap.error("catchments needs --outdir (a folder of its own)")
        if os.path.exists(out) and not os.path.isdir(out):
            ap.error("--outdir %s is not a folder" % args.outdir)
        write_catchments(tr, args)
        return
    munis, sites = load_region(args.region)
    buf = io.StringIO()
    write_cfg(args.region, munis, sites, tr, args.scale, args.seed, buf)
    sys.stdout.write(buf.getvalue())

    n = len(munis)
    p80 = sum(m["pop80"] for m in munis)
    adm = sum(tr.admissions * m["pop80"] / tr.trondheim_80 * args.scale for m in munis)
    per_adm = tr.ukp_per_admission()
    # National check: the same rates over Norway's 80+ population.
    p80_nat = 0
    with open(NORWAY_CSV, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            p80_nat += int(r["pop80"])
    nat = tr.admissions * p80_nat / tr.trondheim_80 * args.scale * 365.0 * per_adm
    # With readmissions: flyt's own run of trondheim-2025.cfg counts 6,526
    # UKP waits in the measured year at 40.0 admissions a day
    # (scenarios/README.md, "How close they come").
    nat_re = nat * TRONDHEIM_UKP_WAITS / (tr.admissions * 365.0 * per_adm)
    sys.stderr.write(
        "%s: %d municipalities, %.1f admissions/day, %d aged 80+ | national check "
        "(Norway's %d aged 80+ at the same rates, scale %.2f): %.0f UKP episodes/year "
        "from first admissions (%.3f per admission), %.0f with readmissions; "
        "vs 82,500 UKP patients (2021): x%.2f-%.2f; vs 154,000 UKP stays (2022): x%.2f-%.2f\n"
        % (args.region, n, adm, p80, p80_nat, args.scale, nat, per_adm, nat_re,
           nat / NATIONAL_UKP_2021, nat_re / NATIONAL_UKP_2021,
           nat / NATIONAL_UKP_STAYS_2022, nat_re / NATIONAL_UKP_STAYS_2022))

if __name__ == "__main__":
    main()
