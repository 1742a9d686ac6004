// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on every ioctl path a VMM takes.
 *
 * Each test is a sequence of ioctls (IOAS, HWPT, bind, attach / replace /
 * detach on the RID and PASIDs, invalidation, PASID allocation).  It runs
 * once as it is, then again with the task's fail-nth set to 1, 2, ...:
 * the n-th slab or page allocation of the task fails.  The sweep ends with
 * the first run in which no injected failure fired.
 *
 * When a step fails, the test checks, with injection off again, that:
 *  - the step failed with ENOMEM, and only because of the injection;
 *  - the state is what it was before the step: nothing half made (the
 *    same step can be done again and succeeds), and a failed attach or
 *    replace left the RID or PASID as it was, seen through vtd_sm's
 *    independent walker (debugfs "translate") against /proc/self/pagemap;
 *  - the rest of the sequence succeeds, and at the end every object can
 *    be destroyed (no reference was leaked by the error path) and every
 *    mapping removed with the exact byte count;
 *  - the kernel did not WARN (the taint flag W did not appear).
 *
 * Kernel memory leaks are left to the kmemleak scan at the end of the
 * debug leg.  Fault injection needs CONFIG_FAULT_INJECTION (and FAILSLAB,
 * FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS): without it each sequence
 * runs once and the test skips, saying so.
 */
#include <sys/syscall.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define FAULT_DIR	"/sys/kernel/debug"
/* Far more than any sequence needs: a sweep that does not end is a bug. */
#define MAX_NTH		3000
#define IOVA_A		0x10000000ULL
#define BUF_PAGES	2
#define PASID_BITS	3
#define TAINT_WARN	BIT_ULL(9)
#define TAINT_DIE	BIT_ULL(7)

/* The state of one run of a sequence. */
struct run {
	struct ifd_dev *d;	/* edu, or NULL for the sequences without */
	int fd;			/* this run's /dev/iommu */
	int devfd;		/* this run's /dev/iommufd/<BDF> */
	__u32 dev_id;
	__u64 ecap;
	unsigned int hi;	/* highest PASID granted */
	size_t len;		/* bytes of each buffer */
	char *a, *b;
	__u64 phys_a, phys_b;	/* of the first page of a and b */
	__u32 ioas, ioas2, pa, pb, na, parent, nested, auto_pt;
	__u64 iova_auto;
	__u32 pasid[3];
	unsigned int quota;
	char why[256];		/* what a check found */
};

struct step {
	const char *name;
	int (*fn)(struct run *r);
	/* After @fn failed: 0 if the state is as it was before @fn. */
	int (*intact)(struct run *r);
	/*
	 * A known bug: @fn fails with -@bug_errno instead of -ENOMEM.  The
	 * state checks still run; the test then skips, naming @bug.
	 */
	int bug_errno;
	const char *bug;
};

struct seq {
	const char *name;
	const struct step *steps;
	unsigned int nsteps;
	unsigned int armed_from;	/* earlier steps run without injection */
	int needs_dev;
	/* after the sequence: 0, or -errno with r->why set */
	int (*verify)(struct run *r);
	int (*teardown)(struct run *r);
};

#define STEP(n, f, c)	{ .name = (n), .fn = (f), .intact = (c) }
#define STEP_KNOWN(n, f, c, e, b) \
	{ .name = (n), .fn = (f), .intact = (c), .bug_errno = (e), .bug = (b) }

#define WHY(r, ...) snprintf((r)->why, sizeof((r)->why), __VA_ARGS__)

/* ---- steps and checks ---- */

static int st_bind(struct run *r)
{
	return dev_bind(r->devfd, r->fd, &r->dev_id);
}

static int st_hw_info(struct run *r)
{
	struct iommu_hw_info_vtd vtd = {};
	int rc = hw_info_vtd(r->fd, r->dev_id, &vtd);

	if (!rc)
		r->ecap = vtd.ecap_reg;
	return rc;
}

static int st_ioas(struct run *r)
{
	return ioas_alloc(r->fd, &r->ioas);
}

static int st_ioas2(struct run *r)
{
	return ioas_alloc(r->fd, &r->ioas2);
}

static int st_map_a(struct run *r)
{
	return ioas_map(r->fd, r->ioas, r->a, r->len, IOVA_A);
}

static int st_map_auto(struct run *r)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = RW_MAP,
		.ioas_id = r->ioas,
		.user_va = (uintptr_t)r->b,
		.length = r->len,
	};
	int rc = xioctl(r->fd, IOMMU_IOAS_MAP, &cmd);

	if (!rc)
		r->iova_auto = cmd.iova;
	return rc;
}

static int st_copy(struct run *r)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = RW_MAP | IOMMU_IOAS_MAP_FIXED_IOVA,
		.dst_ioas_id = r->ioas2,
		.src_ioas_id = r->ioas,
		.length = r->len,
		.dst_iova = IOVA_A,
		.src_iova = IOVA_A,
	};

	return xioctl(r->fd, IOMMU_IOAS_COPY, &cmd);
}

static int st_ranges(struct run *r)
{
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = r->ioas2,
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return xioctl(r->fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
}

/* Unmaps exactly @len at @iova; -EPROTO if another length went. */
static int unmap_exact(int fd, __u32 ioas, __u64 iova, __u64 len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = xioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	return rc ? rc : cmd.length == len ? 0 : -EPROTO;
}

static int st_unmap_a(struct run *r)
{
	return unmap_exact(r->fd, r->ioas, IOVA_A, r->len);
}

/* Nothing is mapped in [@start, @end) of @ioas. */
static int nothing_mapped(struct run *r, __u32 ioas, __u64 start, __u64 end)
{
	int rc = ioas_unmap(r->fd, ioas, start, end - start);

	if (rc == -ENOENT)
		return 0;
	WHY(r, "IOAS %u [%#llx, %#llx): unmap gave %d, not -ENOENT", ioas,
	    (unsigned long long)start, (unsigned long long)end, rc);
	return -EPROTO;
}

static int in_map_a(struct run *r)
{
	return nothing_mapped(r, r->ioas, IOVA_A, IOVA_A + r->len);
}

/* Only the fixed mapping at IOVA_A is there. */
static int in_map_auto(struct run *r)
{
	int rc = nothing_mapped(r, r->ioas, 0, IOVA_A);

	return rc ? rc : nothing_mapped(r, r->ioas, IOVA_A + r->len,
					1ULL << 57);
}

static int in_copy(struct run *r)
{
	return nothing_mapped(r, r->ioas2, 0, 1ULL << 57);
}

/* Unmaps everything of @ioas; -EPROTO if other than @len bytes went. */
static int unmap_all_exact(struct run *r, __u32 ioas, __u64 len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .length = UINT64_MAX,
	};
	int rc = xioctl(r->fd, IOMMU_IOAS_UNMAP, &cmd);

	if (rc)
		WHY(r, "unmap-all of IOAS %u: %s", ioas, strerror(-rc));
	else if (cmd.length != len)
		WHY(r, "unmap-all of IOAS %u removed %llu bytes, not %llu",
		    ioas, (unsigned long long)cmd.length,
		    (unsigned long long)len);
	return rc ? rc : cmd.length == len ? 0 : -EPROTO;
}

static int teardown_ioas(struct run *r)
{
	/* IOAS 1 holds the kernel-placed mapping, IOAS 2 the copy. */
	int rc = unmap_all_exact(r, r->ioas, r->len);

	if (!rc)
		rc = unmap_all_exact(r, r->ioas2, r->len);
	if (!rc)
		rc = obj_destroy(r->fd, r->ioas2);
	if (!rc)
		rc = obj_destroy(r->fd, r->ioas);
	if (rc && !r->why[0])
		WHY(r, "teardown: %s", strerror(-rc));
	return rc;
}

/* HWPTs */

static int has_slts(struct run *r)
{
	return !!(r->ecap & VTD_ECAP_SLTS);
}

static int st_map_dev(struct run *r)
{
	return ioas_map(r->fd, r->ioas, r->a, r->len, IOVA_DST);
}

static int st_map_dev2(struct run *r)
{
	return ioas_map(r->fd, r->ioas2, r->b, r->len, IOVA_DST);
}

static int st_hwpt_na(struct run *r)
{
	return hwpt_alloc(r->fd, 0, r->dev_id, r->ioas, &r->na);
}

static int st_hwpt_pa(struct run *r)
{
	return hwpt_alloc(r->fd, IOMMU_HWPT_ALLOC_PASID, r->dev_id, r->ioas,
			  &r->pa);
}

static int st_hwpt_pb(struct run *r)
{
	return hwpt_alloc(r->fd, IOMMU_HWPT_ALLOC_PASID, r->dev_id, r->ioas2,
			  &r->pb);
}

static int st_parent(struct run *r)
{
	if (!has_slts(r))
		return 0;
	return hwpt_alloc(r->fd, IOMMU_HWPT_ALLOC_NEST_PARENT |
			  IOMMU_HWPT_ALLOC_PASID, r->dev_id, r->ioas2,
			  &r->parent);
}

static int st_nested(struct run *r)
{
	if (!has_slts(r))
		return 0;
	/* A zeroed first-stage table: valid, translates nothing. */
	return hwpt_alloc_vtd_s1(r->fd, IOMMU_HWPT_ALLOC_PASID, r->dev_id,
				 r->parent, IOVA_DST, 48, 0, &r->nested);
}

static int st_invalidate(struct run *r)
{
	struct iommu_hwpt_vtd_s1_invalidate inv[2] = {
		{ .addr = 0, .npages = UINT64_MAX },
		{ .addr = 0x1000, .npages = 1, .flags = IOMMU_VTD_INV_FLAGS_LEAF },
	};
	__u32 n = 2;
	int rc;

	if (!has_slts(r))
		return 0;
	rc = hwpt_invalidate(r->fd, r->nested, inv, sizeof(inv[0]), &n);
	if (!rc && n != 2)
		return -EPROTO;
	return rc;
}

static int st_destroy_na(struct run *r)
{
	return obj_destroy(r->fd, r->na);
}

static int destroy_all(struct run *r, const __u32 *ids, unsigned int n)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		if (!ids[i])
			continue;
		rc = obj_destroy(r->fd, ids[i]);
		if (rc) {
			WHY(r, "destroy of object %u: %s", ids[i],
			    strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int teardown_hwpt(struct run *r)
{
	const __u32 ids[] = { r->nested, r->parent, r->pa, r->ioas };

	return destroy_all(r, ids, ARRAY_SIZE(ids));
}

/* Attach, replace, detach */

/*
 * What the walker says for a read of IOVA_DST through @pasid (< 0: the
 * RID): 0 for "translates to @phys", else -EPROTO with r->why set.  With
 * @phys 0: it must fault.
 */
static int walks_to(struct run *r, long pasid, __u64 phys)
{
	char line[256];
	__u64 got = 0;
	int rc = vtd_translate(r->d->bdf, pasid, IOVA_DST, &got, line,
			       sizeof(line));

	if (!phys && rc == -EFAULT)
		return 0;
	if (phys && !rc && got == phys)
		return 0;
	WHY(r, "PASID %ld: walker says \"%s\" (rc %d), expected %s %#llx",
	    pasid, line, rc, phys ? "phys" : "a fault",
	    (unsigned long long)phys);
	return -EPROTO;
}

static int st_att_rid_auto(struct run *r)
{
	return dev_attach(r->devfd, RID, r->ioas, &r->auto_pt);
}

static int in_att_rid(struct run *r)
{
	return walks_to(r, RID, 0);
}

static int st_det_rid(struct run *r)
{
	return dev_detach(r->devfd, RID);
}

static int st_att_rid_pa(struct run *r)
{
	return dev_attach(r->devfd, RID, r->pa, NULL);
}

static int st_att_p1_pa(struct run *r)
{
	return dev_attach(r->devfd, 1, r->pa, NULL);
}

static int in_att_p1(struct run *r)
{
	return walks_to(r, 1, 0);
}

static int st_att_hi_pb(struct run *r)
{
	if (r->hi < 2)
		return 0;
	return dev_attach(r->devfd, r->hi, r->pb, NULL);
}

static int in_att_hi(struct run *r)
{
	return walks_to(r, r->hi, 0);
}

static int st_rep_p1_pb(struct run *r)
{
	return dev_attach(r->devfd, 1, r->pb, NULL);
}

static int in_p1_on_a(struct run *r)
{
	return walks_to(r, 1, r->phys_a);
}

static int st_rep_rid_pb(struct run *r)
{
	return dev_attach(r->devfd, RID, r->pb, NULL);
}

static int in_rid_on_a(struct run *r)
{
	return walks_to(r, RID, r->phys_a);
}

static int st_rep_p1_nested(struct run *r)
{
	if (!has_slts(r))
		return 0;
	return dev_attach(r->devfd, 1, r->nested, NULL);
}

static int in_p1_on_b(struct run *r)
{
	return walks_to(r, 1, r->phys_b);
}

static int st_rep_p1_pa(struct run *r)
{
	return dev_attach(r->devfd, 1, r->pa, NULL);
}

/* The nested HWPT is still attached: it cannot be destroyed. */
static int in_p1_on_nested(struct run *r)
{
	int rc;

	if (!has_slts(r))
		return walks_to(r, 1, r->phys_b);
	rc = obj_destroy(r->fd, r->nested);
	if (rc == -EBUSY)
		return walks_to(r, 1, 0);	/* b: a zeroed first stage */
	WHY(r, "destroy of the nested HWPT gave %d, not -EBUSY", rc);
	return -EPROTO;
}

static int st_det_hi(struct run *r)
{
	if (r->hi < 2)
		return 0;
	return dev_detach(r->devfd, r->hi);
}

static int in_hi_on_b(struct run *r)
{
	return r->hi < 2 ? 0 : walks_to(r, r->hi, r->phys_b);
}

static int st_det_p1(struct run *r)
{
	return dev_detach(r->devfd, 1);
}

static int in_p1_on_a_only(struct run *r)
{
	return walks_to(r, 1, r->phys_a);
}

static int in_rid_on_b(struct run *r)
{
	return walks_to(r, RID, r->phys_b);
}

static int verify_detached(struct run *r)
{
	int rc = walks_to(r, RID, 0);

	if (!rc)
		rc = walks_to(r, 1, 0);
	if (!rc && r->hi >= 2)
		rc = walks_to(r, r->hi, 0);
	return rc;
}

static int teardown_attach(struct run *r)
{
	const __u32 ids[] = {
		r->nested, r->parent, r->pa, r->pb, r->ioas, r->ioas2,
	};

	return destroy_all(r, ids, ARRAY_SIZE(ids));
}

/* Bind */

static int teardown_bind(struct run *r)
{
	/* The automatic HWPT went with the detach: the IOAS is free. */
	const __u32 ids[] = { r->ioas };

	return destroy_all(r, ids, ARRAY_SIZE(ids));
}

/* PASID allocation (extension) */

static int pasid_alloc1(int fd, __u32 lo, __u32 hi, __u32 *out)
{
	struct iommu_pasid_alloc cmd = {
		.size = sizeof(cmd), .min_pasid = lo, .max_pasid = hi,
	};
	int rc = xioctl(fd, IOMMU_PASID_ALLOC, &cmd);

	if (!rc)
		*out = cmd.out_pasid;
	return rc;
}

static int pasid_free1(int fd, __u32 pasid)
{
	struct iommu_pasid_free cmd = { .size = sizeof(cmd), .pasid = pasid };

	return xioctl(fd, IOMMU_PASID_FREE, &cmd);
}

static int st_palloc0(struct run *r)
{
	return pasid_alloc1(r->fd, 1, (1U << 20) - 1, &r->pasid[0]);
}

static int st_palloc1(struct run *r)
{
	return pasid_alloc1(r->fd, 1, (1U << 20) - 1, &r->pasid[1]);
}

static int st_pfree0(struct run *r)
{
	int rc = pasid_free1(r->fd, r->pasid[0]);

	if (!rc)
		r->pasid[0] = 0;
	return rc;
}

/* Draws again exactly the PASID just freed, if nobody took it. */
static int st_palloc2(struct run *r)
{
	return pasid_alloc1(r->fd, 1, (1U << 20) - 1, &r->pasid[2]);
}

/* A failed free keeps the PASID: freeing it again works (the retry). */

static int teardown_pasid(struct run *r)
{
	unsigned int i, got = 0;
	__u32 p;
	int rc;

	for (i = 0; i < ARRAY_SIZE(r->pasid); i++) {
		if (!r->pasid[i])
			continue;
		rc = pasid_free1(r->fd, r->pasid[i]);
		if (rc) {
			WHY(r, "free of PASID %u: %s", r->pasid[i],
			    strerror(-rc));
			return rc;
		}
		r->pasid[i] = 0;
	}
	/* The quota counts what the context holds and nothing else. */
	while (!(rc = pasid_alloc1(r->fd, 1, (1U << 20) - 1, &p)))
		if (++got > r->quota)
			break;
	if (rc != -ENOSPC || got != r->quota) {
		WHY(r, "after the sequence the context drew %u PASIDs (%d) of a quota of %u",
		    got, rc, r->quota);
		return -EPROTO;
	}
	return 0;
}

/* ---- the sequences ---- */

static const struct step ioas_steps[] = {
	STEP("IOAS_ALLOC", st_ioas, NULL),
	STEP("IOAS_MAP fixed", st_map_a, in_map_a),
	STEP("IOAS_MAP", st_map_auto, in_map_auto),
	STEP("IOAS_ALLOC 2", st_ioas2, NULL),
	STEP("IOAS_COPY", st_copy, in_copy),
	STEP("IOAS_IOVA_RANGES", st_ranges, NULL),
	STEP("IOAS_UNMAP", st_unmap_a, NULL),
};

static const struct step hwpt_steps[] = {
	STEP("BIND", st_bind, NULL),
	STEP("GET_HW_INFO", st_hw_info, NULL),
	STEP("IOAS_ALLOC", st_ioas, NULL),
	STEP("IOAS_ALLOC 2", st_ioas2, NULL),
	STEP("IOAS_MAP", st_map_dev, NULL),
	STEP("IOAS_MAP 2", st_map_dev2, NULL),
	STEP("HWPT_ALLOC paging", st_hwpt_na, NULL),
	STEP("HWPT_ALLOC PASID", st_hwpt_pa, NULL),
	STEP("HWPT_ALLOC nest parent", st_parent, NULL),
	STEP("HWPT_ALLOC nested", st_nested, NULL),
	STEP("HWPT_INVALIDATE", st_invalidate, NULL),
	STEP("DESTROY paging", st_destroy_na, NULL),
};

static int teardown_hwpt2(struct run *r)
{
	const __u32 ids[] = { r->ioas2 };
	int rc = teardown_hwpt(r);

	return rc ? rc : destroy_all(r, ids, ARRAY_SIZE(ids));
}

static const struct step bind_steps[] = {
	STEP("BIND", st_bind, NULL),
	STEP("GET_HW_INFO", st_hw_info, NULL),
	STEP("IOAS_ALLOC", st_ioas, NULL),
	STEP("IOAS_MAP", st_map_dev, NULL),
	STEP("ATTACH RID IOAS (automatic HWPT)", st_att_rid_auto, in_att_rid),
	STEP("DETACH RID", st_det_rid, NULL),
};

static const struct step attach_steps[] = {
	/* set up without injection (swept by the sequences above) */
	STEP("BIND", st_bind, NULL),
	STEP("GET_HW_INFO", st_hw_info, NULL),
	STEP("IOAS_ALLOC", st_ioas, NULL),
	STEP("IOAS_ALLOC 2", st_ioas2, NULL),
	STEP("IOAS_MAP", st_map_dev, NULL),
	STEP("IOAS_MAP 2", st_map_dev2, NULL),
	STEP("HWPT_ALLOC PASID", st_hwpt_pa, NULL),
	STEP("HWPT_ALLOC PASID 2", st_hwpt_pb, NULL),
	STEP("HWPT_ALLOC nest parent", st_parent, NULL),
	STEP("HWPT_ALLOC nested", st_nested, NULL),
	/* swept */
	STEP("ATTACH RID", st_att_rid_pa, in_att_rid),
	STEP("ATTACH PASID 1", st_att_p1_pa, in_att_p1),
	STEP("ATTACH PASID hi", st_att_hi_pb, in_att_hi),
	STEP("REPLACE PASID 1", st_rep_p1_pb, in_p1_on_a),
	STEP("REPLACE RID", st_rep_rid_pb, in_rid_on_a),
	STEP("REPLACE PASID 1 by nested", st_rep_p1_nested, in_p1_on_b),
	STEP("REPLACE PASID 1 nested by paging", st_rep_p1_pa, in_p1_on_nested),
	STEP("DETACH PASID hi", st_det_hi, in_hi_on_b),
	STEP("DETACH PASID 1", st_det_p1, in_p1_on_a_only),
	STEP("DETACH RID", st_det_rid, in_rid_on_b),
};

static const struct step pasid_steps[] = {
	STEP("PASID_ALLOC", st_palloc0, NULL),
	STEP("PASID_ALLOC 2", st_palloc1, NULL),
	STEP("PASID_FREE", st_pfree0, NULL),
	STEP("PASID_ALLOC 3", st_palloc2, NULL),
};

static const struct seq seq_ioas = {
	"ioas", ioas_steps, ARRAY_SIZE(ioas_steps), 0, 0, NULL, teardown_ioas,
};

static const struct seq seq_hwpt = {
	"hwpt", hwpt_steps, ARRAY_SIZE(hwpt_steps), 1, 1, NULL, teardown_hwpt2,
};

static const struct seq seq_bind = {
	"bind", bind_steps, ARRAY_SIZE(bind_steps), 0, 1, verify_detached,
	teardown_bind,
};

static const struct seq seq_attach = {
	"attach", attach_steps, ARRAY_SIZE(attach_steps), 10, 1,
	verify_detached, teardown_attach,
};

static const struct seq seq_pasid = {
	"pasid", pasid_steps, ARRAY_SIZE(pasid_steps), 0, 0, NULL,
	teardown_pasid,
};

/* ---- fault injection control ---- */

struct knob {
	const char *file;
	const char *val;
	char old[32];
	int saved;
};

/* Any allocation may fail, order 0 included; quietly. */
static struct knob knobs[] = {
	{ .file = "failslab/ignore-gfp-wait", .val = "N" },
	{ .file = "failslab/verbose", .val = "0" },
	{ .file = "fail_page_alloc/ignore-gfp-wait", .val = "N" },
	{ .file = "fail_page_alloc/ignore-gfp-highmem", .val = "N" },
	{ .file = "fail_page_alloc/min-order", .val = "0" },
	{ .file = "fail_page_alloc/verbose", .val = "0" },
};

static void knobs_restore(void)
{
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		if (!knobs[i].saved)
			continue;
		snprintf(path, sizeof(path), FAULT_DIR "/%s", knobs[i].file);
		file_write(path, "%s", knobs[i].old);
		knobs[i].saved = 0;
	}
}

static int knobs_set(char *err, size_t len)
{
	char path[128];
	unsigned int i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), FAULT_DIR "/%s", knobs[i].file);
		rc = file_read(path, knobs[i].old, sizeof(knobs[i].old));
		if (!rc) {
			knobs[i].saved = 1;
			rc = file_write(path, "%s\n", knobs[i].val);
		}
		if (rc) {
			snprintf(err, len, "%s: %s", path, strerror(-rc));
			knobs_restore();
			return rc;
		}
	}
	return 0;
}

static int nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

static int nth_write(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* What is left of the count: 0 once the failure was injected. */
static long nth_left(int fd)
{
	char buf[16] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static unsigned long long taint(void)
{
	unsigned long long t = 0;

	file_read_ull("/proc/sys/kernel/tainted", &t);
	return t;
}

/* Touches the stack, so that no run has to fault it in. */
static void stack_prefault(void)
{
	char big[64 * 1024];

	memset(big, 0, sizeof(big));
	__asm__ __volatile__("" : : "r"(big) : "memory");
}

/* ---- the engine ---- */

FIXTURE(fnth) {
	struct ifd_dev d;
	int have_dev;
	int nth_fd;		/* -1 without fault injection */
	char *a, *b;
	size_t len;
	unsigned int quota;
	char skip[200];
};

FIXTURE_SETUP(fnth)
{
	unsigned long long q = 64;

	self->nth_fd = -1;
	self->len = BUF_PAGES * page_size();
	self->a = buf_alloc(self->len, 0x11);
	/* b is also a zeroed first-stage table: it translates nothing */
	self->b = buf_alloc(self->len, 0);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	/* Resident, so that no run faults them in. */
	mlock(self->a, self->len);
	mlock(self->b, self->len);
	if (!file_read_ull("/sys/module/iommufd_pasid/parameters/pasid_quota",
			   &q))
		self->quota = q;
	else
		self->quota = 64;
	stack_prefault();

	snprintf(self->skip, sizeof(self->skip), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	if (access(self->skip, F_OK) ||
	    access(FAULT_DIR "/failslab", F_OK) ||
	    access(FAULT_DIR "/fail_page_alloc", F_OK)) {
		snprintf(self->skip, sizeof(self->skip),
			 "no fault injection in this kernel (CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS): each sequence ran once");
	} else {
		ASSERT_EQ(0, knobs_set(self->skip, sizeof(self->skip)))
			TH_LOG("%s", self->skip);
		self->nth_fd = nth_open();
		ASSERT_LE(0, self->nth_fd) TH_LOG("fail-nth: %s",
						  strerror(errno));
	}
}

FIXTURE_TEARDOWN(fnth)
{
	if (self->nth_fd >= 0) {
		nth_write(self->nth_fd, 0);
		close(self->nth_fd);
	}
	knobs_restore();
	if (self->have_dev)
		ifd_dev_teardown(&self->d);
}

/* Gives edu to iommufd_pci with a PASID width; 1 if there is no edu. */
static int dev_prepare(FIXTURE_DATA(fnth) * self)
{
	struct iommu_hw_info_vtd vtd = {};
	int rc = ifd_dev_setup(&self->d, PASID_BITS);

	if (rc == -ENODEV)
		return 1;
	if (rc)
		return rc;
	self->have_dev = 1;
	/* Nest parents on a unit without ECAP.NEST: debug_nesting. */
	rc = hw_info_vtd(self->d.iommufd, self->d.dev_id, &vtd);
	if (!rc && (vtd.ecap_reg & VTD_ECAP_SLTS))
		rc = ifd_dev_debug_nesting(&self->d, vtd.ecap_reg);
	if (rc) {
		snprintf(self->d.err, sizeof(self->d.err),
			 "GET_HW_INFO / debug_nesting: %s", strerror(-rc));
		return rc;
	}
	/* The runs open and bind the node themselves. */
	ifd_dev_close_node(&self->d);
	close(self->d.iommufd);
	self->d.iommufd = -1;
	return 0;
}

static int run_open(FIXTURE_DATA(fnth) * self, const struct seq *s,
		    struct run *r)
{
	char path[128];

	memset(r, 0, sizeof(*r));
	r->devfd = -1;
	r->a = self->a;
	r->b = self->b;
	r->len = self->len;
	r->quota = self->quota;
	r->fd = open("/dev/iommu", O_RDWR);
	if (r->fd < 0) {
		WHY(r, "open /dev/iommu: %s", strerror(errno));
		return -errno;
	}
	if (!s->needs_dev)
		return 0;
	r->d = &self->d;
	r->hi = (1U << self->d.pasid_bits) - 1;
	if (virt_to_phys_user(r->a, &r->phys_a) ||
	    virt_to_phys_user(r->b, &r->phys_b)) {
		WHY(r, "/proc/self/pagemap");
		return -EIO;
	}
	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", self->d.bdf);
	r->devfd = open(path, O_RDWR);
	if (r->devfd < 0) {
		WHY(r, "open %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static void run_close(struct run *r)
{
	if (r->devfd >= 0)
		close(r->devfd);
	if (r->fd >= 0)
		close(r->fd);
}

struct sweep {
	unsigned int runs;	/* runs with injection */
	unsigned int fired;	/* of them: an injected failure fired */
	unsigned int failed;	/* of them: a step failed */
	unsigned int known;	/* of them: with a known bug's errno */
	const char *bug;
	/* per step: injected failures that step absorbed and succeeded */
	unsigned int absorbed[32];
	unsigned int calls;	/* ioctls made by the steps, all runs */
};

/*
 * One run with fail-nth @n (0: none).  Returns 1 if the run was the last
 * one (no injected failure fired), 0 to go on, -1 on a finding, logged.
 */
static int run_seq(struct __test_metadata *_metadata,
		   FIXTURE_DATA(fnth) * self, const struct seq *s,
		   unsigned int n, struct sweep *sw)
{
	unsigned long long t0 = taint();
	unsigned int i, failed = s->nsteps;
	int absorbed_at = -1;
	long left = 1;
	struct run r;
	int rc = 0, ret = 0;

	rc = run_open(self, s, &r);
	if (rc) {
		TH_LOG("%s nth %u: %s", s->name, n, r.why);
		run_close(&r);
		return -1;
	}
	for (i = 0; i < s->nsteps; i++) {
		if (n && i == s->armed_from && nth_write(self->nth_fd, n)) {
			TH_LOG("cannot write fail-nth");
			ret = -1;
			goto out;
		}
		sw->calls++;
		rc = s->steps[i].fn(&r);
		if (rc) {
			failed = i;
			break;
		}
		/* a failure injected here that the step got over */
		if (n && i >= s->armed_from && left)
			left = nth_left(self->nth_fd);
		if (n && i >= s->armed_from && !left && absorbed_at < 0) {
			absorbed_at = i;
			if (i < 32)
				sw->absorbed[i]++;
		}
	}
	if (n) {
		left = nth_left(self->nth_fd);
		nth_write(self->nth_fd, 0);
		sw->runs++;
		if (!left)
			sw->fired++;
	}
	if (failed < s->nsteps) {
		const struct step *st = &s->steps[failed];

		if (left) {
			TH_LOG("%s nth %u: %s failed without an injected failure: %s",
			       s->name, n, st->name, strerror(-rc));
			ret = -1;
			goto out;
		}
		if (absorbed_at >= 0) {
			TH_LOG("%s nth %u: %s failed (%s) after %s got over the injected failure",
			       s->name, n, st->name, strerror(-rc),
			       s->steps[absorbed_at].name);
			ret = -1;
			goto out;
		}
		sw->failed++;
		if (st->bug && rc == -st->bug_errno) {
			sw->known++;
			sw->bug = st->bug;
		} else if (rc != -ENOMEM) {
			TH_LOG("%s nth %u: %s failed with %d (%s), not -ENOMEM",
			       s->name, n, st->name, rc, strerror(-rc));
			ret = -1;
			goto out;
		}
		if (st->intact && st->intact(&r)) {
			TH_LOG("%s nth %u: after the failed %s: %s", s->name,
			       n, st->name, r.why);
			ret = -1;
			goto out;
		}
		/* Nothing half done: the same step, then the rest, work. */
		for (i = failed; i < s->nsteps; i++) {
			sw->calls++;
			rc = s->steps[i].fn(&r);
			if (rc) {
				TH_LOG("%s nth %u: after the failed %s, %s%s: %s",
				       s->name, n, st->name,
				       i == failed ? "a retry of " : "",
				       s->steps[i].name, strerror(-rc));
				ret = -1;
				goto out;
			}
		}
	}
	if (s->verify && s->verify(&r)) {
		TH_LOG("%s nth %u: at the end: %s", s->name, n, r.why);
		ret = -1;
		goto out;
	}
	if (s->teardown(&r)) {
		TH_LOG("%s nth %u: %s", s->name, n, r.why);
		ret = -1;
		goto out;
	}
	ret = n && left > 0;
out:
	run_close(&r);
	if ((taint() & ~t0) & (TAINT_WARN | TAINT_DIE)) {
		TH_LOG("%s nth %u: the kernel WARNed (taint %#llx)", s->name, n,
		       taint());
		ret = -1;
	}
	return ret;
}

static void sweep_seq(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fnth) * self, const struct seq *s)
{
	struct sweep sw = {};
	unsigned int n;
	int rc;

	if (s->needs_dev) {
		rc = dev_prepare(self);
		if (rc == 1)
			SKIP(return, "%s", self->d.err);
		ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	}
	/* Once as it is: every step must work. */
	ASSERT_EQ(0, run_seq(_metadata, self, s, 0, &sw));
	if (self->nth_fd < 0)
		SKIP(return, "%s", self->skip);
	for (n = 1; n <= MAX_NTH; n++) {
		rc = run_seq(_metadata, self, s, n, &sw);
		ASSERT_LE(0, rc);
		if (rc)
			break;
	}
	ASSERT_GE((unsigned int)MAX_NTH, n) TH_LOG("the sweep of %s did not end", s->name);
	ksft_print_msg("%s: %u runs, %u injected failures, %u failed steps, %u ioctls\n",
		       s->name, sw.runs, sw.fired, sw.failed, sw.calls);
	for (n = 0; n < s->nsteps && n < 32; n++)
		if (sw.absorbed[n])
			ksft_print_msg("%s: %s succeeded despite %u injected failures\n",
				       s->name, s->steps[n].name,
				       sw.absorbed[n]);
	if (sw.known)
		SKIP(return, "%s (%u times); every other check held",
		     sw.bug, sw.known);
}

TEST_F_TIMEOUT(fnth, ioas, 600)
{
	sweep_seq(_metadata, self, &seq_ioas);
}

TEST_F_TIMEOUT(fnth, pasid_alloc, 600)
{
	sweep_seq(_metadata, self, &seq_pasid);
}

TEST_F_TIMEOUT(fnth, bind, 600)
{
	sweep_seq(_metadata, self, &seq_bind);
}

TEST_F_TIMEOUT(fnth, hwpt, 600)
{
	sweep_seq(_metadata, self, &seq_hwpt);
}

TEST_F_TIMEOUT(fnth, attach_replace_detach, 600)
{
	sweep_seq(_metadata, self, &seq_attach);
}

TEST_HARNESS_MAIN
