/*
 * Whether a file is one flyt export wrote, so that an export may replace
 * it (flyt/outfile.h replaces only flyt's own files). An .xlsx is a zip
 * archive: its docProps/core.xml (deflated) carries the description flyt
 * export sets. A CSV file's first line is the header of one of the
 * export's tables, in either number style.
 */
#include "flyt/export.h"

#include <zlib.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t read_at(int fd, unsigned char *buf, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

static size_t read_head(const char *path, unsigned char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return 0;
    size_t got = read_at(fd, buf, len, 0);
    close(fd);
    return got;
}

static unsigned u16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t u32(const unsigned char *p)
{
    return (uint32_t)u16(p) | (uint32_t)u16(p + 2) << 16;
}

/* Inflates the deflated member whose data starts at p (at most n bytes
 * there) and looks for marker in its first 64 KiB. */
static bool member_has(const unsigned char *p, size_t n, const char *marker)
{
    static const size_t cap = 64 * 1024;
    unsigned char *out = malloc(cap + 1);
    z_stream z = { 0 };
    if (!out || inflateInit2(&z, -MAX_WBITS) != Z_OK) {
        free(out);
        return false;
    }
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH);
    bool found = false;
    if (rc == Z_STREAM_END || rc == Z_OK || rc == Z_BUF_ERROR) {
        out[z.total_out] = '\0';
        found = strstr((char *)out, marker) != NULL;
    }
    inflateEnd(&z);
    free(out);
    return found;
}

/* The member's local header offset from the zip's central directory (at
 * the end of the file, where libxlsxwriter puts the document properties
 * last), or -1. */
static off_t find_member(int fd, const char *member)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 22)
        return -1;
    /* the end record: "PK\5\6" within the last 22 + 65535 bytes */
    size_t tail = st.st_size < 22 + 65535 ? (size_t)st.st_size : 22 + 65535;
    unsigned char *buf = malloc(tail);
    off_t found = -1;
    if (!buf || read_at(fd, buf, tail, st.st_size - (off_t)tail) != tail) {
        free(buf);
        return -1;
    }
    size_t e = tail - 22 + 1;
    while (e-- > 0 && memcmp(buf + e, "PK\5\6", 4) != 0)
        ;
    uint32_t cd_size = e < tail ? u32(buf + e + 12) : 0, cd_off = e < tail ? u32(buf + e + 16) : 0;
    free(buf);
    if (cd_size == 0 || cd_size > 16u << 20 || (off_t)cd_off + cd_size > st.st_size)
        return -1;
    unsigned char *cd = malloc(cd_size);
    if (!cd || read_at(fd, cd, cd_size, cd_off) != cd_size) {
        free(cd);
        return -1;
    }
    size_t name_len = strlen(member);
    for (size_t i = 0; i + 46 <= cd_size && memcmp(cd + i, "PK\1\2", 4) == 0;) {
        size_t n = u16(cd + i + 28), x = u16(cd + i + 30), c = u16(cd + i + 32);
        if (i + 46 + n <= cd_size && n == name_len && memcmp(cd + i + 46, member, n) == 0) {
            found = (off_t)u32(cd + i + 42);
            break;
        }
        i += 46 + n + x + c;
    }
    free(cd);
    return found;
}

bool flyt__export_is_xlsx(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    off_t at = find_member(fd, "docProps/core.xml");
    unsigned char head[30];
    bool ours = false;
    if (at >= 0 && read_at(fd, head, 30, at) == 30 && memcmp(head, "PK\3\4", 4) == 0 &&
        u16(head + 8) == 8) {
        size_t comp = u32(head + 18) ? u32(head + 18) : 64 * 1024;
        off_t data = at + 30 + u16(head + 26) + u16(head + 28);
        unsigned char *buf = comp <= 1u << 20 ? malloc(comp) : NULL;
        size_t got = buf ? read_at(fd, buf, comp, data) : 0;
        ours = got > 0 && member_has(buf, got, "Written by flyt export");
        free(buf);
    }
    close(fd);
    return ours;
}

static bool header_is_ours(const char *line, char sep)
{
    static const char *const starts[] = {
        "scenario|level|name|kpi|units|",
        "scenario|replication|status|",
        "scenario|unit|replication|",
        "scenario|day (days)|date|",
        "variant|level|name|kpi|units|",
        "task|point|replication|status|",
        "day (days)|date|figure|units|p05|",
        "day (days)|date|unit|p_full (fraction)|",
        "row (line)|probability (fraction)",
        "attribute|value",
        "point|",
    };
    char want[128];
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
        snprintf(want, sizeof want, "%s", starts[k]);
        for (char *p = want; *p; p++)
            if (*p == '|')
                *p = sep;
        if (strncmp(line, want, strlen(want)) != 0)
            continue;
        if (strcmp(starts[k], "point|") != 0)
            return true;
        /* points and point_kpi: the parameter keys vary, the last column not */
        size_t len = strlen(line);
        char set[8], n[32];
        snprintf(set, sizeof set, "%cset", sep);
        snprintf(n, sizeof n, "%cn (replications)", sep);
        return (len >= strlen(set) && strcmp(line + len - strlen(set), set) == 0) ||
               (len >= strlen(n) && strcmp(line + len - strlen(n), n) == 0);
    }
    return false;
}

bool flyt__export_is_csv(const char *path)
{
    unsigned char buf[4097];
    size_t n = read_head(path, buf, sizeof buf - 1);
    buf[n] = '\0';
    char *line = (char *)buf;
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "# flyt export --records: ", 25) == 0)
        return true; /* a records file (export_records.c) */
    return header_is_ours(line, ',') || header_is_ours(line, ';');
}
