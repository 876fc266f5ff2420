/* harness: the unit-test harness, after Redis' testhelp.h.
 *
 * CHECK(expr) and the typed variants print "FAIL file:line ..." and count;
 * TEST_REPORT() prints "N passed, M failed" on its own line (the summary line
 * ctest output is read for) and returns the exit status for main().
 */
#ifndef LF_HARNESS_H
#define LF_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed;

#define CHECK(expr)                                                          \
    do {                                                                     \
        if (expr) {                                                          \
            harness_passed++;                                                \
        } else {                                                             \
            harness_failed++;                                                \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #expr);           \
        }                                                                    \
    } while (0)

#define CHECK_INT(got, want)                                                 \
    do {                                                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);             \
        if (g_ == w_) {                                                      \
            harness_passed++;                                                \
        } else {                                                             \
            harness_failed++;                                                \
            printf("FAIL %s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, \
                   #got, g_, w_);                                            \
        }                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                 \
    do {                                                                     \
        const char *g_ = (got), *w_ = (want);                                \
        if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) {               \
            harness_passed++;                                                \
        } else {                                                             \
            harness_failed++;                                                \
            printf("FAIL %s:%d: %s == \"%s\", want \"%s\"\n", __FILE__,      \
                   __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");  \
        }                                                                    \
    } while (0)

#define TEST_REPORT()                                                        \
    (printf("%d passed, %d failed\n", harness_passed, harness_failed),       \
     harness_failed ? 1 : 0)

#endif
