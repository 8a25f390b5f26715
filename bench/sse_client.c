/*
 * sse_client.c - the client of bench/sse.sh: N Server-Sent Events
 * subscribers on one machine, and the time from a state change's POST to
 * each subscriber's receipt of its event.
 *
 *   sse_client --port P --token T --codes FILE --ids FILE --unit ID
 *              [--subs N] [--staff K] [--per-matter M]
 *
 * FILE (codes) holds tracking codes, one a line; FILE (ids) the matters'
 * ids in the same order. The client opens N connections to
 * GET /api/v1/track/{code}/events, spread round-robin over the first M
 * codes (M = 1: all on one matter), and K to the staff stream
 * GET /api/v1/events (Bearer T), all non-blocking in one epoll loop. Then,
 * for each of the M matters in turn, it takes four transitions through the
 * staff API (accept, assign to unit ID, start, resolve), one at a time: the
 * clock starts just before the POST is written (an upper bound on "after
 * its commit", which comes later), and stops, for each subscriber of that
 * matter, when the read that completes "event: matter.changed" returns (for
 * the staff streams, "event: case.matter."). The next change waits until
 * every subscriber has its event, or 5 s.
 *
 * The reference, measured in the same run: the POST's own acknowledgement
 * (201/200 received) and the round trip of GET /healthz on a new
 * connection (median of 200).
 *
 * Prints one line:
 *   BENCH subs=N staff=K changes=C deliveries=D missing=X p50_ms= p99_ms=
 *         max_ms= staff_p50_ms= staff_p99_ms= staff_max_ms= ack_p50_ms=
 *         ack_max_ms= healthz_p50_ms= healthz_p99_ms= connect_ms=
 * Exit status 0 when every subscriber got every event.
 */
#include "core/compat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MATTERS 64
#define TAIL        32
#define WAIT_US     5000000LL

struct conn {
    int fd;
    int matter;  /* index into the codes; -1: the staff stream */
    bool ready;  /* the 200 header was read */
    bool closed; /* the server ended it */
    int seen;    /* events of interest received so far */
    char tail[TAIL];
    size_t ntail;
    char head[64]; /* the status line, until ready */
    size_t nhead;
};

static unsigned port;
static const char *token = "";
static char codes[MAX_MATTERS][32];
static long long ids[MAX_MATTERS];
static int nmatters;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
    fprintf(stderr, "sse_client: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int connect_to(bool blocking)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | (blocking ? 0 : SOCK_NONBLOCK), 0), one = 1;

    if (fd < 0)
        die("socket");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
        die("connect");
    return fd;
}

/* Writes all of 'buf' to a socket that may be non-blocking. */
static void send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOTCONN)) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (n < 0)
            die("send");
        buf += n;
        len -= (size_t)n;
    }
}

/* Occurrences of 'needle' in what c received, across reads. */
static int scan(struct conn *c, const char *data, size_t len, const char *needle)
{
    char buf[TAIL + 65536];
    size_t nl = strlen(needle), total, found = 0;
    const char *p;

    memcpy(buf, c->tail, c->ntail);
    memcpy(buf + c->ntail, data, len);
    total = c->ntail + len;
    for (p = buf; (p = memmem(p, total - (size_t)(p - buf), needle, nl)) != NULL; p += nl)
        found++;
    c->ntail = total < nl - 1 ? total : nl - 1;
    memcpy(c->tail, buf + total - c->ntail, c->ntail);
    return (int)found;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(int64_t *v, size_t n, double p)
{
    size_t i;
    if (n == 0)
        return 0;
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

/* One request on a new blocking connection; returns the microseconds from
 * the write to the first bytes of the reply, and the status. */
static int64_t round_trip(const char *req, int *status)
{
    int fd = connect_to(true);
    char buf[4096];
    int64_t t0 = now_us(), t1;
    ssize_t n;

    send_all(fd, req, strlen(req));
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    t1 = now_us();
    if (n <= 0)
        die("recv");
    buf[n] = '\0';
    *status = (int)strtol(buf + 9, NULL, 10);
    while (recv(fd, buf, sizeof(buf), 0) > 0)
        ;
    close(fd);
    return t1 - t0;
}

/* A decimal number; exits on anything else. */
static long long number(const char *s)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || (*end && *end != ' '))
        die(s);
    return v;
}

static void load_lines(const char *path, bool numbers)
{
    FILE *f = fopen(path, "r");
    char line[128];
    int n = 0;

    if (!f)
        die(path);
    while (n < MAX_MATTERS && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        if (numbers)
            ids[n++] = number(line);
        else if (strlen(line) < sizeof(codes[0]))
            memcpy(codes[n++], line, strlen(line) + 1);
    }
    fclose(f);
    nmatters = n;
}

int main(int argc, char **argv)
{
    static const char *const transitions[] = {"accept", "assign", "start", "resolve"};
    int subs = 1000, staff = 0, per = 10, epfd, changes = 0, missing = 0;
    long long unit = 0;
    struct conn *conns;
    int64_t *lat, *slat, acks[4 * MAX_MATTERS], hz[200], t_connect;
    size_t nlat = 0, nslat = 0, nack = 0;
    char req[1024];
    int total;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = (unsigned)number(argv[i + 1]);
        else if (strcmp(argv[i], "--token") == 0)
            token = argv[i + 1];
        else if (strcmp(argv[i], "--codes") == 0)
            load_lines(argv[i + 1], false);
        else if (strcmp(argv[i], "--ids") == 0)
            load_lines(argv[i + 1], true);
        else if (strcmp(argv[i], "--unit") == 0)
            unit = number(argv[i + 1]);
        else if (strcmp(argv[i], "--subs") == 0)
            subs = (int)number(argv[i + 1]);
        else if (strcmp(argv[i], "--staff") == 0)
            staff = (int)number(argv[i + 1]);
        else if (strcmp(argv[i], "--per-matter") == 0)
            per = (int)number(argv[i + 1]);
    }
    if (!port || nmatters == 0 || per < 1 || subs < 1 || staff < 0) {
        fprintf(stderr, "usage: sse_client --port P --token T --codes FILE --ids FILE --unit ID "
                        "[--subs N] [--staff K] [--per-matter M]\n");
        return 2;
    }
    if (per > nmatters)
        per = nmatters;
    total = subs + staff;
    conns = calloc((size_t)total, sizeof(*conns));
    lat = calloc((size_t)subs * 4 + 1, sizeof(*lat));
    slat = calloc((size_t)staff * 4 * (size_t)per + 1, sizeof(*slat));
    if (!conns || !lat || !slat)
        die("calloc");
    if ((epfd = epoll_create1(0)) < 0)
        die("epoll_create1");

    /* The reference first, on a quiet server. */
    snprintf(req, sizeof(req),
             "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    for (size_t i = 0; i < ARRAY_SIZE(hz); i++) {
        int st;
        hz[i] = round_trip(req, &st);
        if (st != 200) {
            fprintf(stderr, "sse_client: /healthz answered %d\n", st);
            return 2;
        }
    }
    qsort(hz, ARRAY_SIZE(hz), sizeof(hz[0]), cmp_i64);

    /* Subscribe. */
    t_connect = now_us();
    for (int i = 0; i < total; i++) {
        struct conn *c = &conns[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        c->fd = connect_to(false);
        c->matter = i < subs ? i % per : -1;
        if (c->matter >= 0)
            snprintf(req, sizeof(req),
                     "GET /api/v1/track/%s/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Accept: text/event-stream\r\n\r\n",
                     codes[c->matter]);
        else
            snprintf(req, sizeof(req),
                     "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Accept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n",
                     token);
        send_all(c->fd, req, strlen(req));
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            die("epoll_ctl");
    }
    {
        int ready = 0;
        int64_t deadline = now_us() + 20000000;
        while (ready < total && now_us() < deadline) {
            struct epoll_event evs[256];
            int n = epoll_wait(epfd, evs, 256, 100);
            for (int k = 0; k < n; k++) {
                struct conn *c = evs[k].data.ptr;
                char buf[4096];
                ssize_t got = recv(c->fd, buf, sizeof(buf), 0);
                if (got <= 0) {
                    if (got < 0 && errno == EAGAIN)
                        continue;
                    fprintf(stderr, "sse_client: a subscription was refused or closed\n");
                    return 2;
                }
                if (!c->ready) {
                    size_t m = (size_t)got < sizeof(c->head) - 1 - c->nhead
                                   ? (size_t)got
                                   : sizeof(c->head) - 1 - c->nhead;
                    memcpy(c->head + c->nhead, buf, m);
                    c->nhead += m;
                    c->head[c->nhead] = '\0';
                    if (c->nhead >= 12) {
                        if (strncmp(c->head + 9, "200", 3) != 0) {
                            fprintf(stderr, "sse_client: subscription answered %.12s\n", c->head);
                            return 2;
                        }
                        c->ready = true;
                        ready++;
                    }
                }
            }
        }
        if (ready < total) {
            fprintf(stderr, "sse_client: only %d of %d subscriptions ready\n", ready, total);
            return 2;
        }
    }
    t_connect = now_us() - t_connect;
    /* Let the last registrations settle. */
    {
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }

    /* The changes. */
    for (int m = 0; m < per; m++) {
        for (size_t tr = 0; tr < ARRAY_SIZE(transitions); tr++) {
            char body[128];
            int pfd, want = 0, got = 0, swant = staff, sgot = 0;
            int64_t t0, deadline;
            bool acked = false;
            struct epoll_event pev;

            if (strcmp(transitions[tr], "assign") == 0)
                snprintf(body, sizeof(body), "{\"unit_id\":%lld}", unit);
            else if (strcmp(transitions[tr], "resolve") == 0)
                snprintf(body, sizeof(body), "{\"reply\":\"已处理\"}");
            else
                snprintf(body, sizeof(body), "{}");
            snprintf(req, sizeof(req),
                     "POST /api/v1/matters/%lld/actions/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     ids[m], transitions[tr], token, strlen(body), body);
            for (int i = 0; i < subs; i++)
                want += conns[i].matter == m;
            pfd = connect_to(true);
            pev = (struct epoll_event){.events = EPOLLIN, .data.ptr = NULL};
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, pfd, &pev) < 0)
                die("epoll_ctl");
            t0 = now_us();
            send_all(pfd, req, strlen(req));
            deadline = t0 + WAIT_US;
            while ((got < want || sgot < swant || !acked) && now_us() < deadline) {
                struct epoll_event evs[512];
                int n = epoll_wait(epfd, evs, 512, 50);
                for (int k = 0; k < n; k++) {
                    struct conn *c = evs[k].data.ptr;
                    char buf[65536];
                    ssize_t r;
                    int64_t t;
                    if (!c) {
                        r = recv(pfd, buf, sizeof(buf) - 1, 0);
                        t = now_us();
                        if (r > 0 && !acked) {
                            buf[r] = '\0';
                            if (strncmp(buf + 9, "200", 3) != 0) {
                                fprintf(stderr, "sse_client: POST %s answered: %.300s\n",
                                        transitions[tr], buf);
                                return 2;
                            }
                            acks[nack++] = t - t0;
                            acked = true;
                        }
                        if (r <= 0) {
                            epoll_ctl(epfd, EPOLL_CTL_DEL, pfd, NULL);
                            if (!acked) {
                                fprintf(stderr, "sse_client: POST closed without a reply\n");
                                return 2;
                            }
                        }
                        continue;
                    }
                    r = recv(c->fd, buf, sizeof(buf), 0);
                    t = now_us();
                    if (r == 0 || (r < 0 && errno != EAGAIN)) {
                        if (!c->closed)
                            epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                        c->closed = true;
                        continue;
                    }
                    if (r < 0)
                        continue;
                    if (c->matter >= 0) {
                        int e = scan(c, buf, (size_t)r, "event: matter.changed\n");
                        for (int x = 0; x < e; x++) {
                            c->seen++;
                            if (c->matter == m) {
                                lat[nlat++] = t - t0;
                                got++;
                            }
                        }
                    } else {
                        int e = scan(c, buf, (size_t)r, "event: case.matter.");
                        for (int x = 0; x < e; x++) {
                            c->seen++;
                            slat[nslat++] = t - t0;
                            sgot++;
                        }
                    }
                }
            }
            epoll_ctl(epfd, EPOLL_CTL_DEL, pfd, NULL);
            close(pfd);
            changes++;
            missing += (want - got) + (swant - sgot);
            if (!acked) {
                fprintf(stderr, "sse_client: POST %s not acknowledged within 5 s\n",
                        transitions[tr]);
                return 2;
            }
        }
    }

    qsort(lat, nlat, sizeof(*lat), cmp_i64);
    qsort(slat, nslat, sizeof(*slat), cmp_i64);
    qsort(acks, nack, sizeof(*acks), cmp_i64);
    printf("BENCH subs=%d staff=%d matters=%d changes=%d deliveries=%zu missing=%d "
           "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f staff_p50_ms=%.2f staff_p99_ms=%.2f "
           "staff_max_ms=%.2f ack_p50_ms=%.2f ack_max_ms=%.2f healthz_p50_ms=%.3f "
           "healthz_p99_ms=%.3f connect_ms=%.0f\n",
           subs, staff, per, changes, nlat + nslat, missing, pct_ms(lat, nlat, 0.5),
           pct_ms(lat, nlat, 0.99), nlat ? (double)lat[nlat - 1] / 1000.0 : 0,
           pct_ms(slat, nslat, 0.5), pct_ms(slat, nslat, 0.99),
           nslat ? (double)slat[nslat - 1] / 1000.0 : 0, pct_ms(acks, nack, 0.5),
           nack ? (double)acks[nack - 1] / 1000.0 : 0, pct_ms(hz, ARRAY_SIZE(hz), 0.5),
           pct_ms(hz, ARRAY_SIZE(hz), 0.99), (double)t_connect / 1000.0);
    for (int i = 0; i < total; i++)
        close(conns[i].fd);
    free(conns);
    free(lat);
    free(slat);
    return missing == 0 ? 0 : 1;
}
