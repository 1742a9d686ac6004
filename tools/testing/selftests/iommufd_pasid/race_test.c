// SPDX-License-Identifier: GPL-2.0
/*
 * Races on one device for a bounded time (RACE_SECONDS, default 4):
 *
 *  - two threads attach, replace and detach the RID and PASIDs of edu
 *    (each picks among the same few PASIDs, so they collide on the same
 *    PASID and work on different ones), with HWPTs from a shared pool;
 *  - one thread allocates HWPTs into the pool and destroys them, attached
 *    or not;
 *  - one thread maps and unmaps the IOASes under them;
 *  - one thread closes the device node and opens and binds it again, and
 *    now and then replaces the whole context: it opens a new one, builds
 *    its IOASes, and closes the old one with everything in it.
 *
 * Every call must answer 0 or an errno that the race explains (an ID
 * gone, a HWPT in use, a file closed under it); the run must leave no
 * lockdep, KASAN or refcount report (the harness watches the console)
 * and no WARN taint.  Afterwards the device must work as before: bound
 * to a fresh context, its RID and a PASID translate where they are told
 * (vtd_sm's walker against /proc/self/pagemap), and every object can be
 * destroyed.  Leaks are left to the kmemleak scan of the debug leg.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define PASID_BITS	3
#define NR_HWPT		6
#define NR_IOAS		2
#define MAP_PAGES	4
#define TAINT_WARN	BIT_ULL(9)

struct world {			/* one context and what was built in it */
	int fd;
	__u32 ioas[NR_IOAS];
};

struct race {
	char bdf[32];
	size_t psz;
	char *buf[NR_IOAS];
	struct world *world;	/* current; replaced by the closer */
	int devfd;		/* current node, -1 while reopened */
	__u32 dev_id;		/* the node's ID in the current world */
	__u32 hwpt[NR_HWPT];	/* IDs in the current world, 0 = empty */
	unsigned int hi;
	int stop;
	unsigned long long ops[5], oks[5];
	pthread_mutex_t bad_lock;
	char bad[200];
	unsigned int reopen, recreate;
};

static unsigned long long taint(void)
{
	unsigned long long t = 0;

	file_read_ull("/proc/sys/kernel/tainted", &t);
	return t;
}

static __u64 xs(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const int explained[] = {
	ENOENT, EBUSY, EINVAL, EBADF, EBADFD, ENOTTY, EEXIST, ENODEV,
	EADDRINUSE,
};

static void note(struct race *r, int t, const char *what, int rc)
{
	unsigned int i;

	__atomic_add_fetch(&r->ops[t], 1, __ATOMIC_RELAXED);
	if (!rc) {
		__atomic_add_fetch(&r->oks[t], 1, __ATOMIC_RELAXED);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(explained); i++)
		if (rc == -explained[i])
			return;
	pthread_mutex_lock(&r->bad_lock);
	if (!r->bad[0])
		snprintf(r->bad, sizeof(r->bad), "%s: %d (%s)", what, rc,
			 strerror(-rc));
	pthread_mutex_unlock(&r->bad_lock);
}

static int stopped(struct race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static struct world *world(struct race *r)
{
	return __atomic_load_n(&r->world, __ATOMIC_ACQUIRE);
}

static long pick_pasid(struct race *r, __u64 *s)
{
	static const long few[] = { RID, 1, 2, 3 };
	long p = few[xs(s) % ARRAY_SIZE(few)];

	if (p > (long)r->hi)
		p = r->hi;
	return xs(s) % 5 ? p : (long)r->hi;
}

static void *attacher(void *arg)
{
	struct race *r = arg;
	__u64 s = (uintptr_t)&s;
	int devfd, rc;
	long pasid;
	__u32 pt;

	while (!stopped(r)) {
		devfd = __atomic_load_n(&r->devfd, __ATOMIC_ACQUIRE);
		pasid = pick_pasid(r, &s);
		if (xs(&s) % 3) {
			pt = __atomic_load_n(&r->hwpt[xs(&s) % NR_HWPT],
					     __ATOMIC_RELAXED);
			rc = dev_attach(devfd, pasid, pt ? pt : 1, NULL);
			note(r, 0, "ATTACH", rc);
		} else {
			rc = dev_detach(devfd, pasid);
			note(r, 0, "DETACH", rc);
		}
	}
	return NULL;
}

static void *hwpt_churn(void *arg)
{
	struct race *r = arg;
	__u64 s = (uintptr_t)&s;
	unsigned int slot;
	struct world *w;
	__u32 id, old;
	int rc;

	while (!stopped(r)) {
		w = world(r);
		slot = xs(&s) % NR_HWPT;
		old = __atomic_load_n(&r->hwpt[slot], __ATOMIC_RELAXED);
		if (!old) {
			rc = hwpt_alloc(w->fd, IOMMU_HWPT_ALLOC_PASID,
					__atomic_load_n(&r->dev_id,
							__ATOMIC_ACQUIRE),
					w->ioas[xs(&s) % NR_IOAS], &id);
			note(r, 2, "HWPT_ALLOC", rc);
			if (!rc)
				__atomic_store_n(&r->hwpt[slot], id,
						 __ATOMIC_RELEASE);
		} else {
			rc = obj_destroy(w->fd, old);
			note(r, 2, "DESTROY", rc);
			if (!rc || rc == -ENOENT)
				__atomic_compare_exchange_n(&r->hwpt[slot],
							    &old, 0, 0,
							    __ATOMIC_RELEASE,
							    __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void *mapper(void *arg)
{
	struct race *r = arg;
	__u64 s = (uintptr_t)&s;
	unsigned int i, n;
	struct world *w;
	int rc;

	while (!stopped(r)) {
		w = world(r);
		i = xs(&s) % NR_IOAS;
		n = 1 + xs(&s) % MAP_PAGES;
		if (xs(&s) % 2) {
			rc = ioas_map(w->fd, w->ioas[i], r->buf[i], n * r->psz,
				      IOVA_DST);
			note(r, 3, "IOAS_MAP", rc);
		} else {
			rc = ioas_unmap(w->fd, w->ioas[i], 0,
					xs(&s) % 4 ? (__u64)n * r->psz :
						     UINT64_MAX);
			note(r, 3, "IOAS_UNMAP", rc);
		}
	}
	return NULL;
}

static struct world *world_new(struct race *r)
{
	struct world *w = calloc(1, sizeof(*w));
	unsigned int i;

	if (!w)
		return NULL;
	w->fd = open("/dev/iommu", O_RDWR);
	if (w->fd < 0) {
		free(w);
		return NULL;
	}
	for (i = 0; i < NR_IOAS; i++)
		if (ioas_alloc(w->fd, &w->ioas[i]) ||
		    ioas_map(w->fd, w->ioas[i], r->buf[i],
			     MAP_PAGES * r->psz, IOVA_DST)) {
			close(w->fd);
			free(w);
			return NULL;
		}
	return w;
}

static int node_open_bind(struct race *r, int fd)
{
	char path[128];
	__u32 dev_id;
	int devfd, rc;

	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", r->bdf);
	devfd = open(path, O_RDWR);
	if (devfd < 0)
		return -errno;
	rc = dev_bind(devfd, fd, &dev_id);
	if (rc) {
		close(devfd);
		return rc;
	}
	__atomic_store_n(&r->dev_id, dev_id, __ATOMIC_RELEASE);
	return devfd;
}

/*
 * Closes the node (unbinding it, everything attached goes) and opens and
 * binds it again; every fourth time, to a new context, the old one being
 * closed with whatever it holds.  Worlds are freed only at the end: other
 * threads may still read the old one.
 */
static void *closer(void *arg)
{
	struct race *r = arg;
	__u64 s = (uintptr_t)&s;
	struct world *w, *old;
	int devfd, rc, i;

	while (!stopped(r)) {
		usleep(20000 + xs(&s) % 60000);
		devfd = __atomic_exchange_n(&r->devfd, -1, __ATOMIC_ACQ_REL);
		close(devfd);
		old = NULL;
		if (!(++r->reopen % 4)) {
			w = world_new(r);
			if (!w) {
				note(r, 4, "new context", -EIO);
				break;
			}
			for (i = 0; i < NR_HWPT; i++)
				__atomic_store_n(&r->hwpt[i], 0,
						 __ATOMIC_RELEASE);
			old = __atomic_exchange_n(&r->world, w,
						  __ATOMIC_ACQ_REL);
			r->recreate++;
		}
		/*
		 * A thread still in an ioctl of the old node keeps its file
		 * (and so the node) open a little longer: EBUSY until then.
		 */
		do {
			devfd = node_open_bind(r, world(r)->fd);
			note(r, 4, "node open + BIND", devfd < 0 ? devfd : 0);
		} while (devfd == -EBUSY && !usleep(1000));
		if (devfd < 0)
			break;
		__atomic_store_n(&r->devfd, devfd, __ATOMIC_RELEASE);
		if (old) {
			/* while the others may still use its number */
			rc = close(old->fd);
			note(r, 4, "close context", rc ? -errno : 0);
			old->fd = -1;
		}
	}
	return NULL;
}

FIXTURE(race) {
	struct ifd_dev d;
	struct race r;
};

FIXTURE_SETUP(race)
{
	unsigned int i;
	int rc;

	memset(&self->r, 0, sizeof(self->r));
	self->r.devfd = -1;
	pthread_mutex_init(&self->r.bad_lock, NULL);
	self->r.psz = page_size();
	for (i = 0; i < NR_IOAS; i++) {
		self->r.buf[i] = buf_alloc(MAP_PAGES * self->r.psz, 0x40 + i);
		ASSERT_NE(NULL, self->r.buf[i]);
	}
	rc = ifd_dev_setup(&self->d, PASID_BITS);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	ASSERT_LE(1ULL, self->d.pasid_bits);
	self->r.hi = (1U << self->d.pasid_bits) - 1;
	memcpy(self->r.bdf, self->d.bdf, sizeof(self->r.bdf));
	/* The race opens and binds the node itself. */
	ifd_dev_close_node(&self->d);
	close(self->d.iommufd);
	self->d.iommufd = -1;
}

FIXTURE_TEARDOWN(race)
{
	struct world *w = self->r.world;

	if (self->r.devfd >= 0)
		close(self->r.devfd);
	if (w && w->fd >= 0)
		close(w->fd);
	ifd_dev_teardown(&self->d);
}

/* After the race: a fresh context, and the device works as before. */
static void works_after(struct __test_metadata *_metadata,
			FIXTURE_DATA(race) * self)
{
	struct race *r = &self->r;
	__u64 pa = 0, got = 0;
	char line[256];
	__u32 ioas, hwpt;
	int fd, devfd;

	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	devfd = node_open_bind(r, fd);
	ASSERT_LE(0, devfd) TH_LOG("bind after the race: %s",
				   strerror(-devfd));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_map(fd, ioas, r->buf[0], r->psz, IOVA_DST));
	ASSERT_EQ(0, hwpt_alloc(fd, IOMMU_HWPT_ALLOC_PASID, 1, ioas, &hwpt))
		TH_LOG("the device is not object 1 of a fresh context?");
	ASSERT_EQ(0, virt_to_phys_user(r->buf[0], &pa));
	ASSERT_EQ(-EFAULT, vtd_translate(r->bdf, 1, IOVA_DST, &got, line,
					 sizeof(line)))
		TH_LOG("PASID 1 translates before an attach: %s", line);
	ASSERT_EQ(0, dev_attach(devfd, RID, hwpt, NULL));
	ASSERT_EQ(0, dev_attach(devfd, 1, hwpt, NULL));
	ASSERT_EQ(0, vtd_translate(r->bdf, RID, IOVA_DST, &got, line,
				   sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(pa, got);
	ASSERT_EQ(0, vtd_translate(r->bdf, 1, IOVA_DST, &got, line,
				   sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(pa, got);
	ASSERT_EQ(0, dev_detach(devfd, 1));
	ASSERT_EQ(0, dev_detach(devfd, RID));
	ASSERT_EQ(0, obj_destroy(fd, hwpt));
	ASSERT_EQ(0, obj_destroy(fd, ioas));
	close(devfd);
	close(fd);
}

TEST_F_TIMEOUT(race, attach_replace_detach_destroy_unmap_close, 300)
{
	static const char *const who[] = {
		"attach/replace/detach", "", "HWPT alloc/destroy",
		"map/unmap", "node close/bind, context close",
	};
	const char *env = getenv("RACE_SECONDS");
	unsigned long long t0 = taint();
	unsigned int secs = env && *env ? strtoul(env, NULL, 0) : 4;
	struct race *r = &self->r;
	pthread_t th[5];
	unsigned int i;
	int devfd;

	r->world = world_new(r);
	ASSERT_NE(NULL, r->world);
	devfd = node_open_bind(r, r->world->fd);
	ASSERT_LE(0, devfd);
	r->devfd = devfd;

	ASSERT_EQ(0, pthread_create(&th[0], NULL, attacher, r));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, attacher, r));
	ASSERT_EQ(0, pthread_create(&th[2], NULL, hwpt_churn, r));
	ASSERT_EQ(0, pthread_create(&th[3], NULL, mapper, r));
	ASSERT_EQ(0, pthread_create(&th[4], NULL, closer, r));
	sleep(secs);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		pthread_join(th[i], NULL);

	ksft_print_msg("race: 5 threads, %u s, node reopened %u times, context replaced %u times\n",
		       secs, r->reopen, r->recreate);
	for (i = 0; i < ARRAY_SIZE(who); i++)
		if (who[i][0])
			ksft_print_msg("race: %s: %llu calls, %llu succeeded\n",
				       who[i], r->ops[i], r->oks[i]);
	ASSERT_EQ(0, r->bad[0]) TH_LOG("%s", r->bad);
	/* each side really ran */
	ASSERT_LT(0ULL, r->oks[0]);
	ASSERT_LT(0ULL, r->oks[2]);
	ASSERT_LT(0ULL, r->oks[3]);
	ASSERT_LT(1U, r->reopen);

	/* everything goes with the last context and the node */
	close(r->devfd);
	r->devfd = -1;
	close(r->world->fd);
	r->world->fd = -1;
	works_after(_metadata, self);
	ASSERT_EQ(0ULL, (taint() & ~t0) & TAINT_WARN)
		TH_LOG("the kernel WARNed (taint %#llx)", taint());
}

TEST_HARNESS_MAIN
