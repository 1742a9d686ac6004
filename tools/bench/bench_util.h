/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the userspace benchmarks of make bench share: the reference
 * workload, quantiles, a timing loop of up to three operations with the
 * reference next to each repetition, TAP and the "#J {...}" JSON lines
 * tools/bench/report.py reads, and large page-aligned buffers.
 */
#ifndef _BENCH_UTIL_H
#define _BENCH_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define REF_ITERS	20000
#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int tap_n, tap_fail;

static inline void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tap_fail++;
}

/*
 * One JSON object per line: jbegin(kind), members, jend().  Keys and
 * string values are ours and need no escaping.
 */
static inline void jbegin(const char *kind)
{
	printf("#J {\"kind\": \"%s\"", kind);
}

static inline void jstr(const char *key, const char *val)
{
	printf(", \"%s\": \"%s\"", key, val);
}

static inline void jint(const char *key, long long val)
{
	printf(", \"%s\": %lld", key, val);
}

static inline void jnum(const char *key, double val)
{
	printf(", \"%s\": %.4f", key, val);
}

/* @val is JSON already. */
static inline void jraw(const char *key, const char *val)
{
	printf(", \"%s\": %s", key, val);
}

static inline void jend(void)
{
	puts("}");
	fflush(stdout);
}

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The reference: a fixed chain of dependent integer operations, the same
 * in every run, timed next to each operation.
 */
static inline long long ref_time(void)
{
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	long long t = now_ns();
	int i;

	for (i = 0; i < REF_ITERS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x *= 0x2545f4914f6cdd1dULL;
	}
	/* the result is used: the compiler keeps the chain */
	__asm__ volatile("" : : "r" (x));
	return now_ns() - t;
}

static inline int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; the value at quantile @q (nearest rank). */
static inline long long quantile(long long *v, int n, double q)
{
	int i;

	qsort(v, n, sizeof(*v), cmp_ll);
	i = (int)(q * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/*
 * Median of 15 runs of the reference, for parts timed in one long run:
 * a single run may be cut by an interrupt or by the host.
 */
static inline long long ref_median(void)
{
	long long v[15];
	int i;

	for (i = 0; i < 15; i++)
		v[i] = ref_time();
	return quantile(v, 15, 0.5);
}

/* ---- samples of one timing loop ---- */

#define MAX_OPS		3

struct lat_loop {
	const char *names[MAX_OPS];
	int nops;
	int n;
	long long *ref;
	long long *op[MAX_OPS];
};

static inline int loop_init(struct lat_loop *l, int n, const char *a,
			    const char *b, const char *c)
{
	int i;

	memset(l, 0, sizeof(*l));
	l->names[0] = a;
	l->names[1] = b;
	l->names[2] = c;
	l->nops = c ? 3 : b ? 2 : 1;
	l->ref = calloc(n, sizeof(long long));
	if (!l->ref)
		return -ENOMEM;
	for (i = 0; i < l->nops; i++) {
		l->op[i] = calloc(n, sizeof(long long));
		if (!l->op[i])
			return -ENOMEM;
	}
	return 0;
}

static inline void loop_free(struct lat_loop *l)
{
	int i;

	free(l->ref);
	for (i = 0; i < MAX_OPS; i++)
		free(l->op[i]);
}

/* Prints one JSON object per operation of the loop (first @l->n reps). */
static inline void loop_report(struct lat_loop *l, const char *kind,
			       const char *group)
{
	long long ref_med, med, p99, max;
	int i;

	if (!l->n)
		return;
	ref_med = quantile(l->ref, l->n, 0.5);
	for (i = 0; i < l->nops; i++) {
		med = quantile(l->op[i], l->n, 0.5);
		p99 = quantile(l->op[i], l->n, 0.99);
		max = l->op[i][l->n - 1];
		jbegin(kind);
		jstr("group", group);
		jstr("op", l->names[i]);
		jint("n", l->n);
		jint("median_ns", med);
		jint("p99_ns", p99);
		jint("max_ns", max);
		jint("ref_median_ns", ref_med);
		jnum("ratio_median", (double)med / ref_med);
		jnum("ratio_p99", (double)p99 / ref_med);
		jend();
	}
}

static inline int timed(long long *t, int rc)
{
	*t = now_ns() - *t;
	return rc;
}

/* Times @call into the long long lvalue @slot; the value of @call. */
#define TIMED(slot, call)						\
	({ long long *s_ = &(slot); *s_ = now_ns(); timed(s_, (call)); })

/*
 * An anonymous buffer of @len bytes aligned to @align (transparent huge
 * pages asked for), every page faulted in; NULL if the guest cannot.
 */
static inline void *big_buf(size_t len, size_t align, void **raw,
			    size_t *raw_len)
{
	char *p;
	uintptr_t a;

	*raw_len = len + align;
	p = mmap(NULL, *raw_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*raw = p;
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	madvise((void *)a, len, MADV_HUGEPAGE);
	memset((void *)a, 0x3c, len);
	return (void *)a;
}

#endif /* _BENCH_UTIL_H */
