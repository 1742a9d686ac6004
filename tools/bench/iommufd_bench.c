// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_bench: what the iommufd PASID stack costs, measured in the test
 * VM through the uAPI (/dev/iommu and QEMU's edu behind iommufd_pci).
 *
 *   1. latency: attach, replace and detach of a HWPT on PASID 5 and on
 *      the RID, HWPT alloc and free, IOAS map and unmap of 4 KiB, 2 MiB
 *      and 1 GiB.  Each repetition also times a fixed CPU workload (the
 *      reference) in the same loop: under TCG raw times swing between
 *      boots, the ratio of an operation to the reference does not;
 *   2. invalidations: queued-invalidation descriptors and batches per
 *      operation, from vtd_sm's debugfs counters of the unit;
 *   3. scale: PASIDs 1, 2, ... attached to one HWPT on one device (width
 *      2^20 through vtd_sm's pasid_bits knob), with the attach time and
 *      the kernel memory (/proc/meminfo, /proc/slabinfo) at 1, 1024,
 *      65536 and 2^20 - 1 PASIDs; a level that would not fit in the time
 *      budget is skipped with the extrapolated time.  After every PASID
 *      is detached, the memory left, then again once the shrinkers ran
 *      (drop_caches), which gives vtd_sm's empty PASID tables back.
 *
 * Output: TAP (one result per part, so the harness can judge the run)
 * and the measurements as JSON objects, one per line, each on a line that
 * starts with "#J " (a TAP comment); tools/bench/report.py turns them into
 * the table and build/bench/bench.json.
 *
 *   iommufd_bench [-r reps] [-s scale_seconds] [-m max_pasids]
 */
#include <getopt.h>
#include <sys/resource.h>

#include "../testing/selftests/iommufd_pasid/iommufd_utils.h"
#include "bench_util.h"

#define BENCH_PASID	5
#define LAT_PASID_BITS	3
#define SCALE_BITS	20
#define IOVA_HWPT	0x10000000ULL
#define IOVA_4K		0x100000000ULL
#define IOVA_2M		0x200000000ULL
#define IOVA_1G		0x400000000ULL
#define COUNTERS	VTD_DEBUGFS "/dmar0/counters"
#define INV_REPS	4
#define MAX_SLABS	512

static int reps = 300;
static double scale_budget = 300;	/* seconds for attach + detach */
static unsigned int scale_max = (1U << SCALE_BITS) - 1;
/* ---- vtd_sm counters ---- */

struct qi_count {
	long long descs, batches;
};

static int qi_read(struct qi_count *c)
{
	char buf[1024], *p;

	if (file_read(COUNTERS, buf, sizeof(buf)))
		return -ENOENT;
	p = strstr(buf, "qi_descriptors: ");
	if (!p || sscanf(p, "qi_descriptors: %lld", &c->descs) != 1)
		return -EPROTO;
	p = strstr(buf, "qi_batches: ");
	if (!p || sscanf(p, "qi_batches: %lld", &c->batches) != 1)
		return -EPROTO;
	return 0;
}

static int unit_regs(unsigned long long *cap, unsigned long long *ecap)
{
	char buf[1024], *p;

	if (file_read(COUNTERS, buf, sizeof(buf)))
		return -ENOENT;
	p = strstr(buf, "cap: ");
	if (!p || sscanf(p, "cap: %llx", cap) != 1)
		return -EPROTO;
	p = strstr(buf, "ecap: ");
	if (!p || sscanf(p, "ecap: %llx", ecap) != 1)
		return -EPROTO;
	return 0;
}

/* PASID tables the unit's devices hold, and those its shrinker gave back. */
static int tables_read(long long *live, long long *reclaimed)
{
	char buf[2048], *p;

	if (file_read(COUNTERS, buf, sizeof(buf)))
		return -ENOENT;
	p = strstr(buf, "pasid_tables: ");
	if (!p || sscanf(p, "pasid_tables: %lld", live) != 1)
		return -EPROTO;
	p = strstr(buf, "pasid_tables_reclaimed: ");
	if (!p || sscanf(p, "pasid_tables_reclaimed: %lld", reclaimed) != 1)
		return -EPROTO;
	return 0;
}

/* Per-rep counter deltas of one operation. */
struct inv_rec {
	const char *op;
	int n;
	long long descs[INV_REPS], batches[INV_REPS];
};

static void inv_add(struct inv_rec *r, const struct qi_count *a,
		    const struct qi_count *b)
{
	if (r->n >= INV_REPS)
		return;
	r->descs[r->n] = b->descs - a->descs;
	r->batches[r->n] = b->batches - a->batches;
	r->n++;
}

static void inv_report(struct inv_rec *r, const char *group)
{
	long long dmin, dmax, bmin, bmax;

	if (!r->n)
		return;
	dmin = quantile(r->descs, r->n, 0);
	dmax = r->descs[r->n - 1];
	bmin = quantile(r->batches, r->n, 0);
	bmax = r->batches[r->n - 1];
	jbegin("inval");
	jstr("group", group);
	jstr("op", r->op);
	jint("n", r->n);
	jint("descs", dmin);
	jint("descs_max", dmax);
	jint("batches", bmin);
	jint("batches_max", bmax);
	jend();
}

/* ---- memory ---- */

/*
 * What the kernel holds.  @pages is the page allocator's net count
 * (pgalloc_* minus pgfree in /proc/vmstat, in KiB): exact whichever
 * per-CPU list a page sits on, unlike MemFree; less the pages of user
 * memory and of user page tables (AnonPages and PageTables of
 * /proc/meminfo), which the same counters count.  Nothing else runs in the
 * guest, so a change of @pages between two readings is what the kernel
 * allocated for the operations in between: slab pages included, @slab
 * says how many.  (The user memory is this program's: glibc's qsort()
 * takes a buffer the size of the array it sorts, 8 MiB for the scale
 * part's 2^20 times, and malloc() keeps what it freed.)
 */
struct meminfo {
	long long pages, memfree, slab, sunreclaim, percpu, vmalloc, secpt;
};

static long long vmstat_net_kib(void)
{
	static char buf[16384];
	long long v, alloc = 0, freed = 0;
	char *line, *save, name[64];

	if (file_read("/proc/vmstat", buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %lld", name, &v) != 2)
			continue;
		if (!strncmp(name, "pgalloc_", 8))
			alloc += v;
		else if (!strcmp(name, "pgfree"))
			freed = v;
	}
	return (alloc - freed) * (long long)(page_size() / 1024);
}

static long long meminfo_field(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);
	long long v;

	if (!p || sscanf(p + strlen(key), ": %lld", &v) != 1)
		return -1;
	return v;
}

static int meminfo_read(struct meminfo *m)
{
	static char buf[8192];

	if (file_read("/proc/meminfo", buf, sizeof(buf)))
		return -EIO;
	m->pages = vmstat_net_kib() - meminfo_field(buf, "\nAnonPages") -
		   meminfo_field(buf, "\nPageTables");
	m->memfree = meminfo_field(buf, "\nMemFree");
	m->slab = meminfo_field(buf, "\nSlab");
	m->sunreclaim = meminfo_field(buf, "\nSUnreclaim");
	m->percpu = meminfo_field(buf, "\nPercpu");
	m->vmalloc = meminfo_field(buf, "\nVmallocUsed");
	m->secpt = meminfo_field(buf, "\nSecPageTables");
	return m->memfree < 0 || m->slab < 0 ? -EPROTO : 0;
}

struct slab {
	char name[64];
	long long bytes;
};

struct slabs {
	int n;
	struct slab s[MAX_SLABS];
};

/* Bytes held by every slab cache (objects allocated x object size). */
static int slabs_read(struct slabs *t)
{
	static char buf[1 << 17];
	long long active, num, size;
	char *line, *save;

	t->n = 0;
	if (file_read("/proc/slabinfo", buf, sizeof(buf)))
		return -EIO;
	for (line = strtok_r(buf, "\n", &save); line && t->n < MAX_SLABS;
	     line = strtok_r(NULL, "\n", &save)) {
		struct slab *s = &t->s[t->n];

		if (sscanf(line, "%63s %lld %lld %lld", s->name, &active, &num,
			   &size) != 4)
			continue;
		s->bytes = active * size;
		t->n++;
	}
	return 0;
}

/*
 * Waits (at most 5 s) until Slab stops shrinking: xarray nodes and other
 * objects freed by RCU leave only after a grace period.
 */
static void slab_settle(struct meminfo *m)
{
	long long last = -1;
	int i;

	for (i = 0; i < 50; i++) {
		if (meminfo_read(m) || m->slab == last)
			break;
		last = m->slab;
		usleep(100 * 1000);
	}
}

/*
 * Waits (at most 5 s) until neither Slab nor the pages allocated move:
 * what a shrinker gives back by RCU goes after a grace period.
 */
static void reclaim_settle(struct meminfo *m)
{
	long long last_slab = -1, last_pages = -1;
	int i;

	for (i = 0; i < 50; i++) {
		if (meminfo_read(m) ||
		    (m->slab == last_slab && m->pages == last_pages))
			break;
		last_slab = m->slab;
		last_pages = m->pages;
		usleep(100 * 1000);
	}
}

/* The (up to) three caches that grew most from @a to @b, as JSON. */
static void slabs_growth(const struct slabs *a, const struct slabs *b,
			 char *out, size_t len)
{
	long long best[3] = { 0, 0, 0 };
	int idx[3] = { -1, -1, -1 };
	int i, j, k;
	size_t o = 0;

	for (i = 0; i < b->n; i++) {
		long long before = 0, d;

		for (j = 0; j < a->n; j++)
			if (!strcmp(a->s[j].name, b->s[i].name))
				before = a->s[j].bytes;
		d = b->s[i].bytes - before;
		for (k = 0; k < 3; k++) {
			if (d > best[k]) {
				memmove(&best[k + 1], &best[k],
					(2 - k) * sizeof(best[0]));
				memmove(&idx[k + 1], &idx[k],
					(2 - k) * sizeof(idx[0]));
				best[k] = d;
				idx[k] = i;
				break;
			}
		}
	}
	o += snprintf(out + o, len - o, "{");
	for (k = 0; k < 3 && idx[k] >= 0 && o < len; k++)
		o += snprintf(out + o, len - o, "%s\"%s\": %lld",
			      k ? ", " : "", b->s[idx[k]].name, best[k]);
	if (o < len)
		snprintf(out + o, len - o, "}");
}

/* ---- the device ---- */

struct bench {
	struct ifd_dev d;
	int fd;
	__u32 dev;
	__u32 ioas, ioas_map;
	__u32 hwpt_a, hwpt_b, hwpt_map;
	void *page;
};

static int must(int rc, const char *what)
{
	if (rc)
		printf("# %s: %s\n", what, strerror(-rc));
	return rc;
}

/* edu bound with @bits of PASID width; an IOAS with one page mapped. */
static int bench_setup(struct bench *b, unsigned int bits)
{
	int rc;

	rc = ifd_dev_setup(&b->d, bits);
	if (rc) {
		printf("# setup: %s\n", b->d.err);
		return rc;
	}
	b->fd = b->d.iommufd;
	b->dev = b->d.dev_id;
	if (b->d.pasid_bits != bits) {
		printf("# pasid_bits %u asked, %llu granted\n", bits,
		       b->d.pasid_bits);
		return -ERANGE;
	}
	b->page = buf_alloc(page_size(), 0x5a);
	if (!b->page)
		return -ENOMEM;
	rc = must(ioas_alloc(b->fd, &b->ioas), "IOAS_ALLOC");
	if (!rc)
		rc = must(ioas_map(b->fd, b->ioas, b->page, page_size(),
				   IOVA_HWPT), "IOAS_MAP");
	return rc;
}

static void bench_teardown(struct bench *b)
{
	ifd_dev_teardown(&b->d);
	if (b->page)
		munmap(b->page, page_size());
	b->page = NULL;
}

/* Attach, replace, detach on @pasid (RID if < 0): timing, then counting. */
static int bench_attach(struct bench *b, long pasid, const char *group)
{
	const char *names[3] = { "attach", "replace", "detach" };
	struct inv_rec inv[3] = { { .op = "attach" }, { .op = "replace" },
				  { .op = "detach" } };
	struct qi_count c0, c1;
	struct lat_loop l;
	int i, rc = 0, devfd = b->d.devfd;

	if (loop_init(&l, reps, names[0], names[1], names[2]))
		return -ENOMEM;
	/* one untimed round first: code and data warm */
	rc = must(dev_attach(devfd, pasid, b->hwpt_a, NULL), "attach");
	rc = rc ?: must(dev_attach(devfd, pasid, b->hwpt_b, NULL), "replace");
	rc = rc ?: must(dev_detach(devfd, pasid), "detach");
	for (i = 0; i < reps && !rc; i++) {
		l.ref[i] = ref_time();
		rc = TIMED(l.op[0][i], dev_attach(devfd, pasid, b->hwpt_a, NULL));
		rc = rc ?: TIMED(l.op[1][i],
				 dev_attach(devfd, pasid, b->hwpt_b, NULL));
		rc = rc ?: TIMED(l.op[2][i], dev_detach(devfd, pasid));
		if (rc)
			must(rc, "attach/replace/detach");
		else
			l.n++;
	}
	for (i = 0; i < INV_REPS && !rc; i++) {
		rc = qi_read(&c0);
		rc = rc ?: dev_attach(devfd, pasid, b->hwpt_a, NULL);
		rc = rc ?: qi_read(&c1);
		if (!rc)
			inv_add(&inv[0], &c0, &c1);
		rc = rc ?: dev_attach(devfd, pasid, b->hwpt_b, NULL);
		rc = rc ?: qi_read(&c0);
		if (!rc)
			inv_add(&inv[1], &c1, &c0);
		rc = rc ?: dev_detach(devfd, pasid);
		rc = rc ?: qi_read(&c1);
		if (!rc)
			inv_add(&inv[2], &c0, &c1);
		must(rc, "counted attach/replace/detach");
	}
	loop_report(&l, "latency", group);
	for (i = 0; i < 3; i++)
		inv_report(&inv[i], group);
	loop_free(&l);
	return rc;
}

static int bench_hwpt(struct bench *b)
{
	struct inv_rec inv[2] = { { .op = "alloc" }, { .op = "free" } };
	struct qi_count c0, c1;
	struct lat_loop l;
	__u32 id = 0;
	int i, rc = 0;

	if (loop_init(&l, reps, "alloc", "free", NULL))
		return -ENOMEM;
	for (i = -1; i < reps && !rc; i++) {
		long long ref = ref_time(), ta, tf;

		rc = TIMED(ta, hwpt_alloc(b->fd, IOMMU_HWPT_ALLOC_PASID, b->dev,
					  b->ioas, &id));
		rc = rc ?: TIMED(tf, obj_destroy(b->fd, id));
		if (rc) {
			must(rc, "HWPT alloc/free");
		} else if (i >= 0) {
			l.ref[i] = ref;
			l.op[0][i] = ta;
			l.op[1][i] = tf;
			l.n++;
		}
	}
	for (i = 0; i < INV_REPS && !rc; i++) {
		rc = qi_read(&c0);
		rc = rc ?: hwpt_alloc(b->fd, IOMMU_HWPT_ALLOC_PASID, b->dev,
				      b->ioas, &id);
		rc = rc ?: qi_read(&c1);
		if (!rc)
			inv_add(&inv[0], &c0, &c1);
		rc = rc ?: obj_destroy(b->fd, id);
		rc = rc ?: qi_read(&c0);
		if (!rc)
			inv_add(&inv[1], &c1, &c0);
		must(rc, "counted HWPT alloc/free");
	}
	loop_report(&l, "latency", "hwpt");
	inv_report(&inv[0], "hwpt");
	inv_report(&inv[1], "hwpt");
	loop_free(&l);
	return rc;
}

/* Map and unmap of @len at @iova of the IOAS the RID's HWPT is made of. */
static int bench_map(struct bench *b, const char *group, __u64 len, __u64 iova,
		     int n)
{
	struct inv_rec inv[2] = { { .op = "map" }, { .op = "unmap" } };
	struct qi_count c0, c1;
	struct lat_loop l;
	size_t raw_len;
	void *raw, *buf;
	int i, rc = 0, inv_n = n < INV_REPS ? n : INV_REPS;

	buf = big_buf(len, len < SZ_2M ? page_size() : SZ_2M, &raw, &raw_len);
	if (!buf) {
		jbegin("skip");
		jstr("group", group);
		jint("bytes", len);
		jstr("reason", strerror(errno));
		jend();
		return 0;
	}
	if (loop_init(&l, n, "map", "unmap", NULL)) {
		munmap(raw, raw_len);
		return -ENOMEM;
	}
	for (i = -1; i < n && !rc; i++) {
		long long ref = ref_time(), tm, tu;

		rc = TIMED(tm, ioas_map(b->fd, b->ioas_map, buf, len, iova));
		rc = rc ?: TIMED(tu, ioas_unmap(b->fd, b->ioas_map, iova, len));
		if (rc) {
			must(rc, "IOAS map/unmap");
		} else if (i >= 0) {
			l.ref[i] = ref;
			l.op[0][i] = tm;
			l.op[1][i] = tu;
			l.n++;
		}
	}
	for (i = 0; i < inv_n && !rc; i++) {
		rc = qi_read(&c0);
		rc = rc ?: ioas_map(b->fd, b->ioas_map, buf, len, iova);
		rc = rc ?: qi_read(&c1);
		if (!rc)
			inv_add(&inv[0], &c0, &c1);
		rc = rc ?: ioas_unmap(b->fd, b->ioas_map, iova, len);
		rc = rc ?: qi_read(&c0);
		if (!rc)
			inv_add(&inv[1], &c1, &c0);
		must(rc, "counted IOAS map/unmap");
	}
	loop_report(&l, "latency", group);
	inv_report(&inv[0], group);
	inv_report(&inv[1], group);
	loop_free(&l);
	munmap(raw, raw_len);
	return rc;
}

/* Parts 1 and 2: every operation, timed and counted. */
static int bench_latency(void)
{
	struct bench b = { 0 };
	unsigned long long cap = 0, ecap = 0;
	int rc, n1g;

	rc = bench_setup(&b, LAT_PASID_BITS);
	if (rc == -ENODEV) {
		tap(1, "latency # SKIP %s", b.d.err);
		return 0;
	}
	if (!rc)
		rc = must(unit_regs(&cap, &ecap), "vtd_sm counters of dmar0");
	if (!rc) {
		jbegin("unit");
		jint("cap", cap);
		jint("ecap", ecap);
		jint("ref_iters", REF_ITERS);
		jint("reps", reps);
		jend();
	}
	rc = rc ?: must(hwpt_alloc(b.fd, IOMMU_HWPT_ALLOC_PASID, b.dev, b.ioas,
				   &b.hwpt_a), "HWPT_ALLOC a");
	rc = rc ?: must(hwpt_alloc(b.fd, IOMMU_HWPT_ALLOC_PASID, b.dev, b.ioas,
				   &b.hwpt_b), "HWPT_ALLOC b");
	rc = rc ?: bench_attach(&b, BENCH_PASID, "pasid");
	rc = rc ?: bench_attach(&b, RID, "rid");
	rc = rc ?: bench_hwpt(&b);
	/* Maps go to an IOAS whose HWPT is on the RID: pinned and mapped. */
	rc = rc ?: must(ioas_alloc(b.fd, &b.ioas_map), "IOAS_ALLOC map");
	rc = rc ?: must(hwpt_alloc(b.fd, IOMMU_HWPT_ALLOC_PASID, b.dev,
				   b.ioas_map, &b.hwpt_map), "HWPT_ALLOC map");
	rc = rc ?: must(dev_attach(b.d.devfd, RID, b.hwpt_map, NULL),
			"attach map HWPT");
	rc = rc ?: bench_map(&b, "map_4k", SZ_4K, IOVA_4K, reps);
	rc = rc ?: bench_map(&b, "map_2m", SZ_2M, IOVA_2M, reps / 3 ?: 1);
	n1g = reps / 60 < 3 ? 3 : reps / 60;
	rc = rc ?: bench_map(&b, "map_1g", SZ_1G, IOVA_1G, n1g);
	if (!rc)
		rc = must(dev_detach(b.d.devfd, RID), "detach map HWPT");
	bench_teardown(&b);
	tap(!rc, "latency and invalidations");
	return rc;
}

/* ---- part 3: scale ---- */

/* Attaches PASIDs [from, to), timing each one into @t. */
static int attach_range(struct bench *b, unsigned int from, unsigned int to,
			long long *t, double *sec)
{
	long long start = now_ns();
	unsigned int p;
	int rc = 0;

	for (p = from; p < to; p++) {
		rc = TIMED(t[p - from], dev_attach(b->d.devfd, p, b->hwpt_a,
						   NULL));
		if (rc) {
			printf("# attach PASID %u: %s\n", p, strerror(-rc));
			break;
		}
	}
	*sec = (now_ns() - start) / 1e9;
	return rc;
}

/*
 * Detaches and attaches again the last @n of the PASIDs below @top, the
 * ones attached most recently; prints the median time of one detach.
 */
static int detach_newest(struct bench *b, unsigned int top, unsigned int n,
			 long long *t, long long ref)
{
	unsigned int p, i = 0;
	int rc = 0;

	for (p = top - n; p < top && !rc; p++) {
		rc = TIMED(t[i], dev_detach(b->d.devfd, p));
		i++;
		rc = rc ?: dev_attach(b->d.devfd, p, b->hwpt_a, NULL);
	}
	if (rc)
		return must(rc, "detach/attach of the newest PASIDs");
	jbegin("scale_detach_newest");
	jint("pasids", top - 1);
	jint("n", n);
	jint("detach_median_ns", quantile(t, n, 0.5));
	jnum("ratio_median", (double)quantile(t, n, 0.5) / ref);
	jend();
	return 0;
}

static void scale_level(unsigned int pasids, unsigned int n, double sec,
			long long *t, long long ref, const struct meminfo *m0,
			const struct slabs *s0, struct slabs *s1)
{
	struct meminfo m1;
	char growth[256];

	slab_settle(&m1);
	slabs_read(s1);
	slabs_growth(s0, s1, growth, sizeof(growth));
	jbegin("scale");
	jint("pasids", pasids);
	jint("level_attaches", n);
	jnum("level_seconds", sec);
	jint("attach_median_ns", quantile(t, n, 0.5));
	jint("attach_p99_ns", quantile(t, n, 0.99));
	jint("ref_ns", ref);
	jnum("ratio_median", (double)quantile(t, n, 0.5) / ref);
	jint("kernel_kib", m1.pages - m0->pages);
	jint("slab_kib", m1.slab - m0->slab);
	jint("memfree_kib", m0->memfree - m1.memfree);
	jint("sunreclaim_kib", m1.sunreclaim - m0->sunreclaim);
	jint("percpu_kib", m1.percpu - m0->percpu);
	jint("vmalloc_kib", m1.vmalloc - m0->vmalloc);
	jraw("slab_growth", growth);
	jend();
}

/*
 * PASIDs 1 .. N attached to one HWPT, N = 1, 1024, 65536, 2^20 - 1 (PASID
 * 0 is the RID).  N = 1 is measured as the median of 64 attaches of
 * PASID 1 (detached in between); every other level as the attaches that
 * brought it from the level before.
 */
static int bench_scale(void)
{
	static const unsigned int levels[] = { 1024, 65536, 1U << 20 };
	struct meminfo m0, m1, mk;
	struct slabs *s0, *s1;
	struct bench b = { 0 };
	unsigned int attached = 2, i, p, target;	/* next PASID to attach */
	double used = 0, sec, per_attach = 0;
	long long *t, ref, start, tables, reclaimed;
	int rc;

	s0 = calloc(1, sizeof(*s0));
	s1 = calloc(1, sizeof(*s1));
	t = calloc(1U << SCALE_BITS, sizeof(*t));
	if (!s0 || !s1 || !t)
		return -ENOMEM;
	/* every page of the timing array in place before the baseline */
	memset(t, 0, (1U << SCALE_BITS) * sizeof(*t));

	rc = meminfo_read(&mk);
	rc = rc ?: bench_setup(&b, SCALE_BITS);
	if (rc == -ENODEV) {
		tap(1, "scale # SKIP %s", b.d.err);
		goto out;
	}
	rc = rc ?: must(hwpt_alloc(b.fd, IOMMU_HWPT_ALLOC_PASID, b.dev, b.ioas,
				   &b.hwpt_a), "HWPT_ALLOC");
	/* Warm: attach and detach once, then the baseline. */
	rc = rc ?: must(dev_attach(b.d.devfd, 1, b.hwpt_a, NULL), "attach 1");
	rc = rc ?: must(dev_detach(b.d.devfd, 1), "detach 1");
	if (!rc)
		slab_settle(&m0);
	rc = rc ?: slabs_read(s0);
	if (!rc) {
		jbegin("scale_setup");
		jint("pasid_bits", SCALE_BITS);
		jint("setup_kib", m0.pages - mk.pages);
		jint("setup_slab_kib", m0.slab - mk.slab);
		jend();
	}
	/* one PASID */
	ref = ref_median();
	start = now_ns();
	for (i = 0; i < 64 && !rc; i++) {
		rc = TIMED(t[i], dev_attach(b.d.devfd, 1, b.hwpt_a, NULL));
		if (!rc && i < 63)
			rc = dev_detach(b.d.devfd, 1);
	}
	sec = (now_ns() - start) / 1e9;
	ref = (ref + ref_median()) / 2;
	must(rc, "attach PASID 1");
	if (!rc)
		scale_level(1, 64, sec, t, ref, &m0, s0, s1);
	for (i = 0; !rc && i < ARRAY_SIZE(levels); i++) {
		target = levels[i] < scale_max ? levels[i] : scale_max;
		if (target >= 1U << SCALE_BITS)
			target = (1U << SCALE_BITS) - 1;
		if (target < attached)
			break;
		if (per_attach > 0) {
			/* detaching in attach order costs about an attach */
			double need = (target + 1 - attached) * per_attach * 2 +
				      (attached - 1) * per_attach;

			if (used + need > scale_budget) {
				jbegin("scale_skip");
				jint("pasids", target);
				jnum("projected_s", used + need);
				jnum("budget_s", scale_budget);
				jnum("per_attach_us", per_attach * 1e6);
				jend();
				break;
			}
		}
		ref = ref_median();
		rc = attach_range(&b, attached, target + 1, t, &sec);
		ref = (ref + ref_median()) / 2;
		if (rc == -ENOMEM) {
			jbegin("scale_skip");
			jint("pasids", target);
			jstr("reason", "ENOMEM");
			jend();
		}
		if (rc)
			break;
		used += sec;
		p = target + 1 - attached;
		per_attach = sec / p;
		scale_level(target, p, sec, t, ref, &m0, s0, s1);
		attached = target + 1;
		rc = detach_newest(&b, attached, p < 16 ? p : 16, t, ref);
	}
	/* Detach everything, timed. */
	start = now_ns();
	for (p = 1; p < attached; p++) {
		int r = dev_detach(b.d.devfd, p);

		if (r && !rc) {
			printf("# detach PASID %u: %s\n", p, strerror(-r));
			rc = r;
		}
	}
	sec = (now_ns() - start) / 1e9;
	slab_settle(&m1);
	jbegin("scale_detach");
	jint("pasids", attached - 1);
	jnum("seconds", sec);
	jint("kernel_kib_left", m1.pages - m0.pages);
	jint("slab_kib_left", m1.slab - m0.slab);
	if (!tables_read(&tables, &reclaimed))
		jint("pasid_tables", tables);
	jend();
	/*
	 * vtd_sm keeps empty PASID tables as a cache until memory runs
	 * short; "2" runs every shrinker (and drops dentries and inodes
	 * too, hence the slab figure), its own among them.
	 */
	if (!file_write("/proc/sys/vm/drop_caches", "2")) {
		reclaim_settle(&m1);
		jbegin("scale_reclaim");
		jint("kernel_kib_left", m1.pages - m0.pages);
		jint("slab_kib_left", m1.slab - m0.slab);
		if (!tables_read(&tables, &reclaimed)) {
			jint("pasid_tables", tables);
			jint("pasid_tables_reclaimed", reclaimed);
		}
		jend();
	}
	bench_teardown(&b);
	/* the device released: what it kept after the last detach goes */
	slab_settle(&m1);
	jbegin("scale_closed");
	jint("kernel_kib_left", m1.pages - m0.pages);
	jint("slab_kib_left", m1.slab - m0.slab);
	jend();
	tap(!rc || rc == -ENOMEM, "scale");
out:
	free(s0);
	free(s1);
	free(t);
	return rc;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int opt;

	while ((opt = getopt(argc, argv, "r:s:m:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 's':
			scale_budget = atof(optarg);
			break;
		case 'm':
			scale_max = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-r reps] [-s scale_seconds] [-m max_pasids]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 3)
		reps = 3;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	printf("TAP version 13\n1..2\n");
	bench_latency();
	bench_scale();
	return tap_fail ? 1 : 0;
}
