/* loop: the tag every object registered with a worker's epoll set starts
 * with, so one epoll_event.data.ptr tells the worker whom to call. */
#ifndef LF_LOOP_H
#define LF_LOOP_H

enum loop_src_kind {
    SRC_MHD = 1, /* the worker's libmicrohttpd epoll fd */
    SRC_WAKE,    /* the worker's eventfd: shutdown, new catalog */
    SRC_PG,      /* a database connection (struct pconn) */
    SRC_DIAL,    /* the pool's connection attempts finished (dial.h) */
    SRC_TIMER,   /* the worker's timerfd: the loop's next deadline came */
};

struct loop_src {
    enum loop_src_kind kind;
};

#endif
