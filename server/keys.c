/* keys: see keys.h.
 *
 * The integer check is deliberately narrower than Postgres' own input
 * function, which also takes surrounding spaces and, since 16, "0x2A" and
 * "1_000": a key has one spelling per row here, so "/rows/0x2A" is a 400
 * rather than a second URL for row 42. What we accept, Postgres accepts.
 *
 * Error sentences are built in a buf (only on the failure path) and then
 * copied into the caller's err, cut on a UTF-8 character boundary so that a
 * truncated message is still valid text for a JSON body. Client input is
 * echoed at most KEYS_ECHO_MAX bytes of it.
 */
#include "keys.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"

#define KEYS_ECHO_MAX 40

enum key_type keys_type_for_oid(unsigned oid)
{
    switch (oid) {
    case 20:
        return KEY_INT8;
    case 21:
        return KEY_INT2;
    case 23:
        return KEY_INT4;
    default:
        return KEY_OTHER;
    }
}

/* The largest n' <= max such that cutting s[0..n) at n' splits no UTF-8
 * sequence: a cut lands before a lead byte, never before a continuation. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

/* Appends s quoted, at most KEYS_ECHO_MAX bytes of it, "..." marking a cut. */
static void put_echo(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    size_t cut = utf8_cut(s, n, KEYS_ECHO_MAX);
    buf_putc(b, '"');
    buf_append(b, s, cut);
    if (cut < n)
        buf_puts(b, "...");
    buf_putc(b, '"');
}

static void put_col_list(struct buf *b, const struct key_col *cols, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            buf_puts(b, ", ");
        buf_puts(b, cols[i].name);
    }
}

static int int_range(enum key_type t, long long *min, long long *max)
{
    switch (t) {
    case KEY_INT2:
        *min = INT16_MIN;
        *max = INT16_MAX;
        return 1;
    case KEY_INT4:
        *min = INT32_MIN;
        *max = INT32_MAX;
        return 1;
    case KEY_INT8:
        *min = INT64_MIN;
        *max = INT64_MAX;
        return 1;
    case KEY_OTHER:
        break;
    }
    return 0;
}

/* True when s is [+-]digits and its value lies in [-(max + 1), max]. The
 * magnitude is accumulated unsigned against the limit for its sign, so the
 * check itself never overflows, however many digits come. */
static int int_ok(const char *s, long long max)
{
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s == '\0')
        return 0;
    uint64_t limit = (uint64_t)max + (uint64_t)neg;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    return 1;
}

static int find_col(const struct key_col *cols, size_t ncols, const char *name)
{
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* 0 when v is acceptable for col as far as we check; else -1 with the
 * sentence appended to msg. */
static int check_int(struct buf *msg, const struct key_col *col, const char *v)
{
    long long min, max;
    if (!int_range(col->type, &min, &max) || int_ok(v, max))
        return 0;
    buf_printf(msg, "key \"%s\" must be an integer between %lld and %lld, got ", col->name, min,
               max);
    put_echo(msg, v);
    return -1;
}

static void copy_out(char *err, size_t errlen, const struct buf *msg)
{
    if (err && errlen) {
        size_t n = utf8_cut(msg->data ? msg->data : "", msg->len, errlen - 1);
        memcpy(err, msg->data ? msg->data : "", n);
        err[n] = '\0';
    }
}

int keys_check_value(const struct key_col *col, const char *v, char *err, size_t errlen)
{
    struct buf msg = BUF_INIT;
    int rc = check_int(&msg, col, v);
    if (rc != 0)
        copy_out(err, errlen, &msg);
    else if (err && errlen)
        err[0] = '\0';
    buf_free(&msg);
    return rc;
}

int keys_bind(const struct key_col *cols, size_t ncols, const struct route *r, const char **values,
              char *err, size_t errlen, int *bad_col)
{
    struct buf msg = BUF_INIT;
    int bad = -1;

    if (err && errlen)
        err[0] = '\0';
    if (bad_col)
        *bad_col = -1;

    if (ncols == 0) {
        buf_puts(&msg, "the table has no primary key, so its rows cannot be looked up by key");
        goto fail;
    }
    if (r->nparts > 0 && r->nparams > 0) {
        buf_puts(&msg, "give the key either as path segments or as query parameters, not both");
        goto fail;
    }

    if (r->nparts > 0) {
        if (r->nparts != ncols) {
            buf_printf(&msg, "expected %zu key part%s (", ncols, ncols == 1 ? "" : "s");
            put_col_list(&msg, cols, ncols);
            buf_printf(&msg, "), got %zu", r->nparts);
            goto fail;
        }
        for (size_t i = 0; i < ncols; i++)
            values[i] = r->parts[i];
    } else if (r->nparams == 0) {
        /* "/rows" alone: say both ways of giving a key, not just the first
         * missing parameter. */
        buf_printf(&msg, "no key given; expected %zu key part%s (", ncols, ncols == 1 ? "" : "s");
        put_col_list(&msg, cols, ncols);
        buf_puts(&msg, ") as path segments or as query parameters");
        goto fail;
    } else {
        for (size_t i = 0; i < ncols; i++)
            values[i] = NULL;
        for (size_t j = 0; j < r->nparams; j++) {
            const struct route_param *p = &r->params[j];
            int i = find_col(cols, ncols, p->name);
            if (i < 0) {
                buf_puts(&msg, "unknown key parameter ");
                put_echo(&msg, p->name);
                buf_printf(&msg, "; the key column%s ", ncols == 1 ? " is" : "s are");
                put_col_list(&msg, cols, ncols);
                goto fail;
            }
            if (values[i] != NULL) {
                bad = i;
                buf_printf(&msg, "key parameter \"%s\" given twice", cols[i].name);
                goto fail;
            }
            values[i] = p->value;
        }
        for (size_t i = 0; i < ncols; i++) {
            if (values[i] == NULL) {
                bad = (int)i;
                buf_printf(&msg, "missing key parameter \"%s\"", cols[i].name);
                goto fail;
            }
        }
    }

    for (size_t i = 0; i < ncols; i++) {
        if (check_int(&msg, &cols[i], values[i]) == 0)
            continue;
        bad = (int)i;
        goto fail;
    }
    return 0;

fail:
    copy_out(err, errlen, &msg);
    if (bad_col)
        *bad_col = bad;
    buf_free(&msg);
    return -1;
}

void keys_array_elem(struct buf *b, const char *v)
{
    buf_putc(b, '"');
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *v);
    }
    buf_putc(b, '"');
}
