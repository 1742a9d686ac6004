// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded random ioctl fuzzer for /dev/iommu and /dev/iommufd/<BDF>.
 *
 * From a seed (printed; FUZZ_SEED sets it) it sends FUZZ_CALLS ioctls
 * (default 1000000), or as many as fit in FUZZ_SECONDS (default 120),
 * to two iommufd contexts and to edu's node bound to one of them: every
 * command of both files and unknown ones, with random structure sizes
 * (short, long with zero or non-zero tails), flags, reserved fields,
 * object IDs of every type, of the other context and made up, misaligned,
 * overflowing and huge IOVA ranges and lengths, user pointers that are
 * valid, read-only, unmapped, misaligned or in the kernel, and PASIDs at,
 * beyond and far beyond the device's width.  Now and then a context or
 * the node is closed with everything in it and opened again.
 *
 * Every call must return 0 or -1 with an errno the uAPI documents; the
 * test counts the answers per command and prints them.  A crash, a hang
 * or a kernel splat fails the run (the last two through the harness).
 * Without edu the node's commands are left out.
 */
#include <sys/syscall.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define MEM_PAGES	16
#define NR_IDS		64
#define RESET_EVERY	20000
#define PASID_BITS	4

/* What the fuzzer holds; the memory the kernel may read or write. */
struct fz {
	__u64 rng;
	int ctx[2];
	int devfd;
	char bdf[32];
	int nullfd;
	__u32 ids[2][NR_IDS];	/* IDs each context handed out */
	unsigned int nids[2];
	__u32 dev_id[2];	/* the node's device ID in ctx 0 or 1 */
	int bound_to;		/* -1, 0 or 1 */
	char *mem;		/* MEM_PAGES read/write pages */
	char *ro;		/* one read-only page */
	char *guard;		/* one inaccessible page after mem */
	size_t psz;
	unsigned long long calls, ok;
	unsigned long long per_errno[2][160];
	char bad[200];		/* the first unexpected answer */
};

static __u64 rnd(struct fz *f)
{
	/* xorshift64* */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545f4914f6cdd1dULL;
}

static __u64 below(struct fz *f, __u64 n)
{
	return n ? rnd(f) % n : 0;
}

static int one_in(struct fz *f, unsigned int n)
{
	return !below(f, n);
}

/* ---- random values of each kind ---- */

static __u32 any_id(struct fz *f, int ctx)
{
	int other = !ctx;

	switch (below(f, 8)) {
	case 0:
		return 0;
	case 1:
		return rnd(f);
	case 2:
		return below(f, 200);
	case 3:	/* an ID of the other context */
		return f->nids[other] ? f->ids[other][below(f, f->nids[other])]
				      : 1;
	case 4:
		return f->dev_id[below(f, 2)];
	default: /* one of this context's objects, of whatever type */
		return f->nids[ctx] ? f->ids[ctx][below(f, f->nids[ctx])] : 1;
	}
}

static void remember(struct fz *f, int ctx, __u32 id)
{
	if (f->nids[ctx] < NR_IDS)
		f->ids[ctx][f->nids[ctx]++] = id;
	else
		f->ids[ctx][below(f, NR_IDS)] = id;
}

static __u64 any_u64(struct fz *f)
{
	static const __u64 edge[] = {
		0, 1, 0xfff, 0x1000, 0x1001, 0x200000, 0x40000000,
		0xfffffffffffff000ULL, 0xffffffffffffffffULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xffffffffULL, 0x100000000ULL, 1ULL << 47, 1ULL << 48,
		1ULL << 57,
	};

	switch (below(f, 4)) {
	case 0:
		return edge[below(f, ARRAY_SIZE(edge))];
	case 1:
		return rnd(f);
	case 2:
		return edge[below(f, ARRAY_SIZE(edge))] + below(f, 3) - 1;
	default:
		return below(f, 64) * f->psz;
	}
}

static __u64 any_iova(struct fz *f)
{
	if (one_in(f, 3))
		return any_u64(f);
	return 0x10000000ULL + below(f, 64) * f->psz +
	       (one_in(f, 8) ? below(f, f->psz) : 0);
}

static __u64 any_len(struct fz *f)
{
	if (one_in(f, 3))
		return any_u64(f);
	return (1 + below(f, MEM_PAGES)) * f->psz +
	       (one_in(f, 8) ? below(f, f->psz) : 0);
}

/* A user pointer: mostly into our memory, sometimes anything but. */
static __u64 any_uptr(struct fz *f)
{
	switch (below(f, 10)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)f->guard + below(f, f->psz);
	case 2:
		return 0xffff888000000000ULL + below(f, 1 << 20);
	case 3:
		return (uintptr_t)f->ro;
	case 4:
		return (uintptr_t)f->mem + below(f, MEM_PAGES * f->psz);
	default:
		return (uintptr_t)f->mem + below(f, MEM_PAGES) * f->psz;
	}
}

static __u32 any_pasid(struct fz *f)
{
	switch (below(f, 5)) {
	case 0:
		return rnd(f);
	case 1:
		return (1U << 20) - below(f, 3);
	case 2:
		return (1U << PASID_BITS) + below(f, 3) - 1;
	default:
		return below(f, 1U << PASID_BITS);
	}
}

static __u32 any_flags(struct fz *f, __u32 valid)
{
	switch (below(f, 4)) {
	case 0:
		return rnd(f);
	case 1:
		return 1U << below(f, 32);
	default:
		return rnd(f) & valid;
	}
}

static __u32 maybe(struct fz *f, __u32 v)
{
	return one_in(f, 16) ? (__u32)rnd(f) : v;
}

/*
 * The argument goes at the end of our memory, so that a size beyond it
 * runs into the guard page; the bytes after the structure are zero or
 * random.  Returns where it is and sets *@size to what userspace claims.
 */
static void *place(struct fz *f, const void *cmd, size_t len, __u32 *size)
{
	char *end = f->mem + MEM_PAGES * f->psz;
	size_t tail = 64;
	char *p;

	*size = len;
	switch (below(f, 12)) {
	case 0:
		*size = below(f, len);
		break;
	case 1:
		*size = len + 8 * (1 + below(f, 4));
		break;
	case 2:
		*size = rnd(f);
		break;
	case 3:
		*size = f->psz * (1 + below(f, 3));
		break;
	}
	p = end - len - tail;
	if (one_in(f, 64))
		p = end - len / 2;	/* the structure runs into the guard */
	memset(p, 0, end - p);
	if (one_in(f, 4) && p + len < end)
		p[len + below(f, end - p - len)] = 1 + below(f, 255);
	memcpy(p, cmd, len < (size_t)(end - p) ? len : (size_t)(end - p));
	/* the first __u32 is the size */
	if (end - p >= 4)
		memcpy(p, size, 4);
	return p;
}

/* ---- the answers ---- */

static const int allowed[] = {
	ENOTTY, E2BIG, EOPNOTSUPP, EINVAL, ENOENT, ENOMEM, EOVERFLOW, EFAULT,
	EBUSY, EEXIST, ENOSPC, EMSGSIZE, EADDRINUSE, EBADF, EBADFD, ENODEV,
	ERANGE, EPERM,
};

static void answer(struct fz *f, int which, const char *what, int ret,
		   int err)
{
	unsigned int i;

	f->calls++;
	if (!ret) {
		f->ok++;
		f->per_errno[which][0]++;
		return;
	}
	if (ret == -1)
		for (i = 0; i < ARRAY_SIZE(allowed); i++)
			if (err == allowed[i]) {
				f->per_errno[which][err < 160 ? err : 159]++;
				return;
			}
	if (!f->bad[0])
		snprintf(f->bad, sizeof(f->bad),
			 "call %llu: %s returned %d, errno %d (%s)", f->calls,
			 what, ret, err, strerror(err));
}

static int do_ioctl(struct fz *f, int fd, int which, const char *what,
		    unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);
	int err = errno;

	answer(f, which, what, ret, err);
	return ret;
}

/* ---- /dev/iommu ---- */

static void fz_iommu(struct fz *f, int c)
{
	int fd = f->ctx[c];
	__u32 size;
	void *p;

	switch (below(f, 16)) {
	case 0: {
		struct iommu_destroy cmd = { .id = any_id(f, c) };

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "DESTROY", IOMMU_DESTROY, p);
		break;
	}
	case 1:
	case 2: {
		struct iommu_ioas_alloc cmd = { .flags = maybe(f, 0) };

		p = place(f, &cmd, sizeof(cmd), &size);
		if (!do_ioctl(f, fd, 0, "IOAS_ALLOC", IOMMU_IOAS_ALLOC, p))
			remember(f, c, ((struct iommu_ioas_alloc *)p)->out_ioas_id);
		break;
	}
	case 3: {
		struct iommu_ioas_allow_iovas cmd = {
			.ioas_id = any_id(f, c),
			.num_iovas = below(f, 5) ? below(f, 4) : rnd(f),
			.__reserved = maybe(f, 0),
			.allowed_iovas = any_uptr(f),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS, p);
		break;
	}
	case 4: {
		struct iommu_ioas_copy cmd = {
			.flags = any_flags(f, 7),
			.dst_ioas_id = any_id(f, c),
			.src_ioas_id = any_id(f, c),
			.length = any_len(f),
			.dst_iova = any_iova(f),
			.src_iova = any_iova(f),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "IOAS_COPY", IOMMU_IOAS_COPY, p);
		break;
	}
	case 5: {
		struct iommu_ioas_iova_ranges cmd = {
			.ioas_id = any_id(f, c),
			.num_iovas = below(f, 4) ? below(f, 8) : rnd(f),
			.__reserved = maybe(f, 0),
			.allowed_iovas = any_uptr(f),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES, p);
		break;
	}
	case 6:
	case 7: {
		struct iommu_ioas_map cmd = {
			.flags = any_flags(f, 7),
			.ioas_id = any_id(f, c),
			.__reserved = maybe(f, 0),
			.user_va = any_uptr(f),
			.length = any_len(f),
			.iova = any_iova(f),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "IOAS_MAP", IOMMU_IOAS_MAP, p);
		break;
	}
	case 8: {
		struct iommu_ioas_unmap cmd = {
			.ioas_id = any_id(f, c),
			.iova = any_iova(f),
			.length = one_in(f, 8) ? UINT64_MAX : any_len(f),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "IOAS_UNMAP", IOMMU_IOAS_UNMAP, p);
		break;
	}
	case 9:
	case 10: {
		struct iommu_hwpt_vtd_s1 *s1 = (void *)(f->mem + f->psz);
		struct iommu_hwpt_alloc cmd = {
			.flags = any_flags(f, 0xf),
			.dev_id = one_in(f, 4) ? any_id(f, c) : f->dev_id[c],
			.pt_id = any_id(f, c),
			.__reserved = maybe(f, 0),
			.data_type = below(f, 4) ? below(f, 3) : rnd(f),
			.data_len = below(f, 3) ? sizeof(*s1) : below(f, 64),
			.data_uptr = below(f, 3) ? (uintptr_t)s1 : any_uptr(f),
			.fault_id = maybe(f, 0),
			.__reserved2 = maybe(f, 0),
		};

		s1->flags = any_flags(f, 7);
		s1->pgtbl_addr = any_iova(f);
		s1->addr_width = one_in(f, 2) ? 48 : below(f, 70);
		s1->__reserved = maybe(f, 0);
		p = place(f, &cmd, sizeof(cmd), &size);
		if (!do_ioctl(f, fd, 0, "HWPT_ALLOC", IOMMU_HWPT_ALLOC, p))
			remember(f, c, ((struct iommu_hwpt_alloc *)p)->out_hwpt_id);
		break;
	}
	case 11: {
		struct iommu_hw_info cmd = {
			.flags = any_flags(f, 1),
			.dev_id = one_in(f, 3) ? any_id(f, c) : f->dev_id[c],
			.data_len = below(f, 3) ? 24 : rnd(f) % 8192,
			.data_uptr = any_uptr(f),
			.in_data_type = below(f, 3),
			.__reserved = { maybe(f, 0) & 0xff },
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "GET_HW_INFO", IOMMU_GET_HW_INFO, p);
		break;
	}
	case 12: {
		struct iommu_hwpt_vtd_s1_invalidate *inv =
			(void *)(f->mem + 2 * f->psz);
		struct iommu_hwpt_invalidate cmd = {
			.hwpt_id = any_id(f, c),
			.data_uptr = below(f, 3) ? (uintptr_t)inv : any_uptr(f),
			.data_type = below(f, 4) ? 0 : rnd(f),
			.entry_len = below(f, 3) ? sizeof(*inv) : below(f, 64),
			.entry_num = below(f, 4) ? below(f, 4) : rnd(f),
			.__reserved = maybe(f, 0),
		};
		unsigned int i;

		for (i = 0; i < 4; i++) {
			inv[i].addr = any_iova(f);
			inv[i].npages = one_in(f, 4) ? UINT64_MAX : any_u64(f);
			inv[i].flags = any_flags(f, 1);
			inv[i].__reserved = maybe(f, 0);
		}
		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE, p);
		break;
	}
	case 13: {
		struct iommu_pasid_alloc cmd = {
			.flags = maybe(f, 0),
			.min_pasid = one_in(f, 2) ? any_pasid(f) : 0,
			.max_pasid = one_in(f, 2) ? any_pasid(f) : (1U << 20) - 1,
			.__reserved = maybe(f, 0),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "PASID_ALLOC", IOMMU_PASID_ALLOC, p);
		break;
	}
	case 14: {
		struct iommu_pasid_free cmd = { .pasid = any_pasid(f) };

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, fd, 0, "PASID_FREE", IOMMU_PASID_FREE, p);
		break;
	}
	default: {
		/* any command number of the type, any encoding */
		__u64 junk[8] = { rnd(f), rnd(f), rnd(f), rnd(f) };
		unsigned long cmd;

		cmd = _IOC(below(f, 4), IOMMUFD_TYPE, 0x70 + below(f, 0x60),
			   below(f, 4) ? 0 : below(f, 64));
		p = place(f, junk, sizeof(junk), &size);
		do_ioctl(f, fd, 0, "unknown /dev/iommu command", cmd, p);
		break;
	}
	}
}

/* ---- the device node ---- */

static void fz_node(struct fz *f)
{
	int c = f->bound_to < 0 ? 0 : f->bound_to;
	__u32 size;
	void *p;

	switch (below(f, 8)) {
	case 0: {
		const int fds[] = {
			f->ctx[0], f->ctx[1], f->devfd, f->nullfd, -1, 1000,
		};
		struct iommufd_pci_bind cmd = {
			.flags = maybe(f, 0),
			.iommufd = fds[below(f, ARRAY_SIZE(fds))],
		};
		int ret;

		p = place(f, &cmd, sizeof(cmd), &size);
		/* argsz, not size, but also the first __u32 */
		ret = do_ioctl(f, f->devfd, 1, "BIND", IOMMUFD_PCI_BIND, p);
		if (!ret) {
			c = cmd.iommufd == f->ctx[1];
			f->bound_to = c;
			f->dev_id[c] = ((struct iommufd_pci_bind *)p)->out_devid;
		}
		break;
	}
	case 1:
	case 2:
	case 3:
	case 4: {
		struct iommufd_pci_attach cmd = {
			.flags = below(f, 4) ? below(f, 2) : rnd(f),
			.pt_id = any_id(f, c),
			.pasid = any_pasid(f),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, f->devfd, 1, "ATTACH", IOMMUFD_PCI_ATTACH, p);
		break;
	}
	case 5:
	case 6: {
		struct iommufd_pci_detach cmd = {
			.flags = below(f, 4) ? below(f, 2) : rnd(f),
			.pasid = any_pasid(f),
		};

		p = place(f, &cmd, sizeof(cmd), &size);
		do_ioctl(f, f->devfd, 1, "DETACH", IOMMUFD_PCI_DETACH, p);
		break;
	}
	default: {
		__u64 junk[8] = { rnd(f), rnd(f), rnd(f), rnd(f) };
		unsigned long cmd;

		cmd = _IOC(below(f, 4), IOMMUFD_PCI_VFIO_TYPE, below(f, 0x100),
			   below(f, 4) ? 0 : below(f, 64));
		p = place(f, junk, sizeof(junk), &size);
		do_ioctl(f, f->devfd, 1, "unknown node command", cmd, p);
		break;
	}
	}
}

/* ---- lifecycle ---- */

static int node_open(struct fz *f)
{
	char path[128];

	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", f->bdf);
	f->devfd = open(path, O_RDWR);
	f->bound_to = -1;
	f->dev_id[0] = 0;
	f->dev_id[1] = 0;
	if (f->devfd < 0)
		return -errno;
	/* mostly bound to context 0, so that attaches get somewhere */
	if (!one_in(f, 8) && !dev_bind(f->devfd, f->ctx[0], &f->dev_id[0]))
		f->bound_to = 0;
	return 0;
}

static int ctx_open(struct fz *f, int c)
{
	f->ctx[c] = open("/dev/iommu", O_RDWR);
	f->nids[c] = 0;
	return f->ctx[c] < 0 ? -errno : 0;
}

/* Closes @c with whatever it holds (the node first if bound to it). */
static int ctx_reset(struct fz *f, int c)
{
	int rc;

	if (f->bdf[0] && f->bound_to == c) {
		close(f->devfd);
		f->devfd = -1;
	}
	close(f->ctx[c]);
	rc = ctx_open(f, c);
	if (!rc && f->bdf[0] && f->devfd < 0)
		rc = node_open(f);
	return rc;
}

FIXTURE(fz) {
	struct ifd_dev d;
	int have_dev;
	struct fz f;
};

FIXTURE_SETUP(fz)
{
	struct fz *f = &self->f;
	size_t psz = page_size();
	char *m;
	int rc;

	memset(f, 0, sizeof(*f));
	f->devfd = -1;
	f->bound_to = -1;
	f->psz = psz;
	m = mmap(NULL, (MEM_PAGES + 2) * psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0x5a, (MEM_PAGES + 2) * psz);
	f->mem = m;
	f->guard = m + MEM_PAGES * psz;
	f->ro = m + (MEM_PAGES + 1) * psz;
	ASSERT_EQ(0, mprotect(f->guard, psz, PROT_NONE));
	ASSERT_EQ(0, mprotect(f->ro, psz, PROT_READ));
	f->nullfd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, f->nullfd);

	rc = ifd_dev_setup(&self->d, PASID_BITS);
	if (!rc) {
		self->have_dev = 1;
		/* the fuzzer opens the node itself */
		ifd_dev_close_node(&self->d);
		close(self->d.iommufd);
		self->d.iommufd = -1;
		memcpy(f->bdf, self->d.bdf, sizeof(f->bdf));
	} else {
		ASSERT_EQ(-ENODEV, rc) TH_LOG("%s", self->d.err);
		ksft_print_msg("%s: only /dev/iommu is fuzzed\n",
			       self->d.err);
	}
}

FIXTURE_TEARDOWN(fz)
{
	struct fz *f = &self->f;

	if (f->devfd >= 0)
		close(f->devfd);
	if (f->ctx[0] > 0)
		close(f->ctx[0]);
	if (f->ctx[1] > 0)
		close(f->ctx[1]);
	if (self->have_dev)
		ifd_dev_teardown(&self->d);
}

static unsigned long long env_ull(const char *name, unsigned long long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static const char *const names[2] = { "/dev/iommu", "node" };

TEST_F_TIMEOUT(fz, random_ioctls, 900)
{
	struct fz *f = &self->f;
	unsigned long long want = env_ull("FUZZ_CALLS", 1000000);
	unsigned long long secs = env_ull("FUZZ_SECONDS", 120);
	unsigned long long seed = env_ull("FUZZ_SEED", 0);
	long long t0, deadline, dt;
	unsigned int e, w;

	if (!seed)
		seed = (now_ms() ^ ((__u64)getpid() << 32)) | 1;
	f->rng = seed;
	ksft_print_msg("fuzz: seed %llu (FUZZ_SEED=%llu repeats this run), %llu calls or %llu s\n",
		       seed, seed, want, secs);
	ASSERT_EQ(0, ctx_open(f, 0));
	ASSERT_EQ(0, ctx_open(f, 1));
	if (f->bdf[0])
		ASSERT_EQ(0, node_open(f));

	t0 = now_ms();
	deadline = t0 + secs * 1000;
	while (f->calls < want && !f->bad[0]) {
		if (!(f->calls % 1024) && now_ms() > deadline)
			break;
		if (f->calls && !(f->calls % RESET_EVERY))
			ASSERT_EQ(0, ctx_reset(f, below(f, 2)));
		if (f->bdf[0] && f->devfd >= 0 && one_in(f, 3))
			fz_node(f);
		else
			fz_iommu(f, one_in(f, 4));
		if (f->bdf[0] && one_in(f, 50000)) {
			/* the node alone: unbinds, detaches everything */
			close(f->devfd);
			ASSERT_EQ(0, node_open(f));
		}
	}
	dt = now_ms() - t0;
	ksft_print_msg("fuzz: %llu calls (%llu succeeded) in %lld ms: %lld calls/s\n",
		       f->calls, f->ok, dt, dt ? (long long)f->calls * 1000 / dt : 0);
	for (w = 0; w < 2; w++)
		for (e = 0; e < 160; e++)
			if (f->per_errno[w][e])
				ksft_print_msg("fuzz: %s: %s: %llu\n", names[w],
					       e ? strerror(e) : "success",
					       f->per_errno[w][e]);
	ASSERT_EQ(0, f->bad[0]) TH_LOG("%s", f->bad);
	if (f->calls < want)
		ksft_print_msg("fuzz: FUZZ_SECONDS=%llu ended the run before FUZZ_CALLS=%llu\n",
			       secs, want);
}

TEST_HARNESS_MAIN
