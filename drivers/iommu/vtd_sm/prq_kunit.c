// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of page request servicing (prq.c) against a fake unit with
 * ECAP.PRS: no emulated unit QEMU offers has a page request queue, and no
 * emulated device sends page requests.
 *
 * The fake unit has the page request queue registers (PQH, PQT, PQA, PRS,
 * PECTL) and an invalidation queue that records every descriptor it
 * consumes.  A test "receives" page requests: the fake writes them into
 * the queue at the tail as a unit would, sets PRO instead when the queue
 * is full (and drops requests while PRO is set), and can hold requests
 * back until an invalidation wait with page-request drain asks for them.
 * Reports to the IOMMU core go to a recorder instead.
 *
 * Descriptors are built and checked with the field positions of the VT-d
 * specification written out here, not with the driver's macros.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/pci.h>

#include "pci_kunit.h"
#include "regs.h"
#include "vtd.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Page request descriptor */
#define R0_TYPE		0x1ULL			/* bits 7:0 */
#define R0_PASID_P	BIT_ULL(8)
#define R0_PDP		BIT_ULL(9)
#define R0_RID(r)	((u64)(r) << 16)	/* bits 31:16 */
#define R0_PASID(p)	((u64)(p) << 32)	/* bits 51:32 */
#define R0_EXE		BIT_ULL(52)
#define R0_PRIV		BIT_ULL(53)
#define R1_RD		BIT_ULL(0)
#define R1_WR		BIT_ULL(1)
#define R1_LPIG		BIT_ULL(2)
#define R1_PRGI(i)	((u64)(i) << 3)		/* bits 11:3 */

/* Page group response descriptor */
#define P0_TYPE		0x9ULL			/* bits 3:0 */
#define P0_PASID_P	BIT_ULL(4)
#define P0_PDP		BIT_ULL(5)
#define P0_RC(c)	((u64)(c) << 12)	/* bits 15:12 */
#define P0_RID(r)	((u64)(r) << 16)
#define P0_PASID(p)	((u64)(p) << 32)
#define P1_LPIG		BIT_ULL(2)
#define P1_PRGI(i)	((u64)(i) << 3)
#define RC_SUCCESS	0x0
#define RC_INVALID	0x1
#define RC_FAILURE	0xf

/* Invalidation wait descriptor */
#define W0_TYPE		0x5ULL
#define W0_SW		BIT_ULL(5)
#define W0_FN		BIT_ULL(6)
#define W0_PD		BIT_ULL(7)

/* Context-cache invalidate descriptor */
#define C0_TYPE		0x1ULL

#define SID_A		0x0108
#define SID_B		0x0210
#define SID_UNKNOWN	0x0300

#define FAKE_ECAP	(VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_DT | VTD_ECAP_PRS | \
			 VTD_ECAP_PASID | VTD_ECAP_PDS | VTD_ECAP_SMTS | \
			 FIELD_PREP(VTD_ECAP_PSS, 19))

struct fake_req {
	u64 qw[4];
};

struct fake_unit {
	struct vtd_unit unit;
	/* invalidation queue */
	u64 iqh, iqt;
	u32 fsts;
	struct vtd_qi_desc resp[64];	/* page group responses consumed */
	unsigned int nr_resp;
	struct vtd_qi_desc other[32];	/* other non-wait descriptors */
	unsigned int nr_other;
	unsigned int refuse_cc;		/* context-cache ones to refuse (IQE) */
	u64 wait_qw0[16];
	unsigned int nr_wait;
	/* page request queue */
	u64 pqh, pqt, pqa;
	u32 prs, pectl;
	unsigned int dropped;		/* requests lost to an overflow */
	struct fake_req held[8];	/* received, written out on a drain */
	unsigned int nr_held;
	/* the IOMMU core */
	spinlock_t lock;		/* @reports, @nr_reports */
	struct iopf_fault reports[320];
	struct device *report_dev[320];
	unsigned int nr_reports;
	int report_ret;
	s64 discards_at_report;		/* stats.discards at the last report */
};

/* One fake at a time: the recorder may run on the poll's worker. */
static struct fake_unit *fake_cur;

static bool fake_push(struct fake_unit *f, const u64 *qw)
{
	u64 bytes = (u64)f->unit.prq.size << 5;
	u64 next = (f->pqt + 32) % bytes;
	struct vtd_qi_desc *d;

	if (f->prs & VTD_PRS_PRO) {
		f->dropped++;
		return false;
	}
	if (next == f->pqh) {
		f->prs |= VTD_PRS_PRO;
		f->dropped++;
		return false;
	}
	d = &f->unit.prq.ring[f->pqt >> 5];
	memcpy(d->qw, qw, sizeof(d->qw));
	/* The descriptor is in memory before the tail moves. */
	smp_wmb();
	WRITE_ONCE(f->pqt, next);
	f->prs |= VTD_PRS_PPR;
	return true;
}

static bool fake_request(struct fake_unit *f, u64 qw0, u64 qw1)
{
	u64 qw[4] = { qw0, qw1, 0, 0 };

	return fake_push(f, qw);
}

/* The unit has received a request it writes out only when drained. */
static void fake_hold(struct fake_unit *f, u64 qw0, u64 qw1)
{
	struct fake_req *r = &f->held[f->nr_held++];

	r->qw[0] = qw0;
	r->qw[1] = qw1;
}

static void fake_qi_run(struct fake_unit *f)
{
	struct vtd_qi *qi = &f->unit.qi;
	unsigned int i;

	/* A refused descriptor stops the queue at it until IQE is cleared. */
	while (f->iqh != f->iqt && !(f->fsts & VTD_FSTS_IQE)) {
		struct vtd_qi_desc *d = &qi->ring[f->iqh >> 5];
		u64 type = d->qw[0] & 0xf;

		if (type == C0_TYPE && f->refuse_cc) {
			f->refuse_cc--;
			f->fsts |= VTD_FSTS_IQE;
			return;
		}
		if (type == W0_TYPE) {
			if (f->nr_wait < ARRAY_SIZE(f->wait_qw0))
				f->wait_qw0[f->nr_wait++] = d->qw[0];
			if (d->qw[0] & W0_PD) {
				for (i = 0; i < f->nr_held; i++)
					fake_push(f, f->held[i].qw);
				f->nr_held = 0;
			}
			if (d->qw[0] & W0_SW)
				WRITE_ONCE(*(u32 *)phys_to_virt(d->qw[1] & ~3ULL),
					   d->qw[0] >> 32);
		} else if (type == P0_TYPE && f->nr_resp < ARRAY_SIZE(f->resp)) {
			f->resp[f->nr_resp++] = *d;
		} else if (f->nr_other < ARRAY_SIZE(f->other)) {
			f->other[f->nr_other++] = *d;
		}
		f->iqh = (f->iqh + 32) & ((qi->size << 5) - 1);
	}
}

static u64 fake_read(void *priv, unsigned int reg)
{
	struct fake_unit *f = priv;

	switch (reg) {
	case VTD_REG_IQH:
		fake_qi_run(f);
		return f->iqh;
	case VTD_REG_IQT:
		return f->iqt;
	case VTD_REG_FSTS:
		return f->fsts;
	case VTD_REG_PQH:
		return f->pqh;
	case VTD_REG_PQT:
		return READ_ONCE(f->pqt);
	case VTD_REG_PQA:
		return f->pqa;
	case VTD_REG_PRS:
		return f->prs;
	case VTD_REG_PECTL:
		return f->pectl;
	}
	return 0;
}

static void fake_write(void *priv, unsigned int reg, u64 val)
{
	struct fake_unit *f = priv;

	switch (reg) {
	case VTD_REG_IQT:
		f->iqt = val;
		fake_qi_run(f);
		break;
	case VTD_REG_FSTS:
		f->fsts &= ~(u32)val;
		break;
	case VTD_REG_PQH:
		f->pqh = val;
		break;
	case VTD_REG_PQT:
		f->pqt = val;
		break;
	case VTD_REG_PQA:
		f->pqa = val;
		break;
	case VTD_REG_PRS:
		f->prs &= ~(u32)val;
		break;
	case VTD_REG_PECTL:
		f->pectl = val;
		break;
	}
}

static const struct vtd_qi_io fake_io = {
	.read = fake_read,
	.write = fake_write,
};

static int fake_report(struct device *dev, struct iopf_fault *evt)
{
	struct fake_unit *f = fake_cur;
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	if (f->nr_reports < ARRAY_SIZE(f->reports)) {
		f->reports[f->nr_reports] = *evt;
		f->report_dev[f->nr_reports] = dev;
		f->nr_reports++;
	}
	f->discards_at_report = atomic64_read(&f->unit.prq.stats.discards);
	spin_unlock_irqrestore(&f->lock, flags);
	return f->report_ret;
}

static unsigned int fake_nr_reports(struct fake_unit *f)
{
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&f->lock, flags);
	n = f->nr_reports;
	spin_unlock_irqrestore(&f->lock, flags);
	return n;
}

static void fake_exit(void *data)
{
	struct fake_unit *f = data;

	vtd_prq_destroy(&f->unit);
	vtd_qi_destroy(&f->unit.qi);
	xa_destroy(&f->unit.devices);
	fake_cur = NULL;
}

/* What the fake unit's page requests go to (__fake_new()). */
enum fake_prq {
	FAKE_PRQ_RECORDER,	/* fake_report() */
	FAKE_PRQ_CORE,		/* the IOMMU core's fault queue */
	FAKE_PRQ_NONE,		/* no ECAP.PRS, no page request queue */
};

static struct fake_unit *__fake_new(struct kunit *test, enum fake_prq prq)
{
	struct fake_unit *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->unit.ecap = FAKE_ECAP;
	strscpy(f->unit.name, "fakeprq", sizeof(f->unit.name));
	spin_lock_init(&f->lock);
	xa_init(&f->unit.devices);
	KUNIT_ASSERT_EQ(test, vtd_qi_init(&f->unit.qi, 0, &fake_io, f, "fakeprq"), 0);
	f->unit.qi.timeout_us = 200 * USEC_PER_MSEC;
	fake_cur = f;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_exit, f), 0);
	if (prq == FAKE_PRQ_NONE) {
		f->unit.ecap &= ~VTD_ECAP_PRS;
		/* For fake_dev_exit() only: no device of it gets IOPF. */
		mutex_init(&f->unit.prq.lock);
		return f;
	}
	if (prq == FAKE_PRQ_RECORDER)
		f->unit.prq.report = fake_report;
	KUNIT_ASSERT_EQ(test, vtd_prq_init(&f->unit, 0), 0);
	KUNIT_ASSERT_EQ(test, f->unit.prq.size, 128);
	/* Firmware's leftovers, which starting the queue clears. */
	f->pqh = 0x40;
	f->pqt = 0x80;
	f->prs = VTD_PRS_PPR | VTD_PRS_PRO;
	vtd_prq_hw_start(&f->unit);
	return f;
}

/* A unit with a one-page queue (128 requests), programmed. */
static struct fake_unit *fake_new(struct kunit *test)
{
	return __fake_new(test, FAKE_PRQ_RECORDER);
}

struct fake_dev {
	struct vtd_dev vdev;
	struct device dev;
};

static void fake_dev_exit(void *data)
{
	struct vtd_dev *vdev = data;

	vtd_prq_dev_stop(vdev);
	xa_erase(&vdev->unit->devices, vdev->sid);
	vtd_prq_dev_release(vdev);
}

/* @vdev becomes device @dev of the unit, with source-id @sid. */
static void fake_dev_join(struct kunit *test, struct fake_unit *f,
			  struct vtd_dev *vdev, struct device *dev, u16 sid,
			  u32 max_pasids)
{
	vdev->dev = dev;
	vdev->unit = &f->unit;
	vdev->sid = sid;
	vdev->bus = sid >> 8;
	vdev->devfn = sid & 0xff;
	vdev->max_pasids = max_pasids;
	KUNIT_ASSERT_EQ(test, xa_err(xa_store(&f->unit.devices, sid, vdev,
					      GFP_KERNEL)), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_dev_exit, vdev), 0);
}

/* A device of the unit; its page requests are reported if @iopf. */
static struct vtd_dev *fake_dev_new(struct kunit *test, struct fake_unit *f,
				    u16 sid, u32 max_pasids, bool iopf)
{
	struct fake_dev *fd = kunit_kzalloc(test, sizeof(*fd), GFP_KERNEL);
	struct vtd_dev *vdev;

	KUNIT_ASSERT_NOT_NULL(test, fd);
	vdev = &fd->vdev;
	fake_dev_join(test, f, vdev, &fd->dev, sid, max_pasids);
	if (iopf) {
		/*
		 * IOPF on without the poll, so that each test reads the queue
		 * when it wants (prq_test_polled has the poll).
		 */
		mutex_lock(&f->unit.prq.lock);
		vdev->iopf = true;
		f->unit.prq.users++;
		mutex_unlock(&f->unit.prq.lock);
	}
	return vdev;
}

static void prq_test_hw_start(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);

	/* Address and size (PQS 0: one page), empty, status clear, masked. */
	KUNIT_EXPECT_EQ(test, f->pqa, (u64)virt_to_phys(f->unit.prq.ring));
	KUNIT_EXPECT_EQ(test, f->pqh, 0);
	KUNIT_EXPECT_EQ(test, f->pqt, 0);
	KUNIT_EXPECT_EQ(test, f->prs, 0);
	KUNIT_EXPECT_EQ(test, f->pectl, BIT(31));
	KUNIT_EXPECT_TRUE(test, f->unit.prq.hw_on);

	vtd_prq_hw_stop(&f->unit);
	KUNIT_EXPECT_EQ(test, f->pqa, 0);
	KUNIT_EXPECT_FALSE(test, f->unit.prq.hw_on);
}

static void prq_test_report_fields(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_dev *a = fake_dev_new(test, f, SID_A, 1U << 10, true);
	struct iommu_fault_page_request *prm;

	/* A group of two: read/write/execute, then the last, read only. */
	KUNIT_ASSERT_TRUE(test, fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) |
					     R0_PASID(0x155) | R0_EXE,
					     R1_RD | R1_WR | R1_PRGI(0x1ab) |
					     0x7654321000ULL));
	KUNIT_ASSERT_TRUE(test, fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) |
					     R0_PASID(0x155) | R0_PRIV,
					     R1_RD | R1_LPIG | R1_PRGI(0x1ab) |
					     0x7654322000ULL));
	vtd_prq_service(&f->unit);

	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 2);
	KUNIT_EXPECT_PTR_EQ(test, f->report_dev[0], a->dev);
	KUNIT_EXPECT_EQ(test, f->reports[0].fault.type, IOMMU_FAULT_PAGE_REQ);
	prm = &f->reports[0].fault.prm;
	KUNIT_EXPECT_EQ(test, prm->addr, 0x7654321000ULL);
	KUNIT_EXPECT_EQ(test, prm->pasid, 0x155);
	KUNIT_EXPECT_EQ(test, prm->grpid, 0x1ab);
	KUNIT_EXPECT_EQ(test, prm->perm, IOMMU_FAULT_PERM_READ |
			IOMMU_FAULT_PERM_WRITE | IOMMU_FAULT_PERM_EXEC);
	KUNIT_EXPECT_EQ(test, prm->flags, IOMMU_FAULT_PAGE_REQUEST_PASID_VALID |
			IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID);
	prm = &f->reports[1].fault.prm;
	KUNIT_EXPECT_EQ(test, prm->addr, 0x7654322000ULL);
	KUNIT_EXPECT_EQ(test, prm->perm, IOMMU_FAULT_PERM_READ |
			IOMMU_FAULT_PERM_PRIV);
	KUNIT_EXPECT_EQ(test, prm->flags, IOMMU_FAULT_PAGE_REQUEST_PASID_VALID |
			IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID |
			IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE);

	/* The head caught up with the tail; PPR was cleared. */
	KUNIT_EXPECT_EQ(test, f->pqt, 2 * 32);
	KUNIT_EXPECT_EQ(test, f->pqh, f->pqt);
	KUNIT_EXPECT_EQ(test, f->prs & VTD_PRS_PPR, 0);
	/* Reported requests are the core's to answer. */
	KUNIT_EXPECT_EQ(test, f->nr_resp, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.requests), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.reported), 2);

	/* Without a PASID: the RID's request. */
	KUNIT_ASSERT_TRUE(test, fake_request(f, R0_TYPE | R0_RID(SID_A),
					     R1_WR | R1_LPIG | R1_PRGI(3) | 0x5000));
	vtd_prq_service(&f->unit);
	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 3);
	prm = &f->reports[2].fault.prm;
	KUNIT_EXPECT_EQ(test, prm->flags, IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE);
	KUNIT_EXPECT_EQ(test, prm->pasid, 0);
	KUNIT_EXPECT_EQ(test, prm->perm, IOMMU_FAULT_PERM_WRITE);
	KUNIT_EXPECT_EQ(test, prm->addr, 0x5000);
	KUNIT_EXPECT_EQ(test, f->pqh, 3 * 32);
}

static void prq_test_refused(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_desc *d;

	fake_dev_new(test, f, SID_A, 1U << 10, true);
	fake_dev_new(test, f, SID_B, 1U << 10, false);

	/* Unknown requester: the last request of its group is answered. */
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_UNKNOWN) | R0_PASID(5),
		     R1_RD | R1_LPIG | R1_PRGI(7) | 0x1000);
	/* Not the last: no answer is due. */
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_UNKNOWN) | R0_PASID(5),
		     R1_RD | R1_PRGI(8) | 0x1000);
	/* PASID beyond the device's. */
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) | R0_PASID(1U << 10),
		     R1_WR | R1_LPIG | R1_PRGI(0x1ff) | 0x2000);
	/* A device without IOPF, no PASID. */
	fake_request(f, R0_TYPE | R0_RID(SID_B),
		     R1_RD | R1_LPIG | R1_PRGI(1) | 0x3000);
	vtd_prq_service(&f->unit);

	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 0);
	KUNIT_EXPECT_EQ(test, f->pqh, 4 * 32);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.refused), 4);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 3);
	d = &f->resp[0];
	KUNIT_EXPECT_EQ(test, d->qw[0], P0_TYPE | P0_PASID_P | P0_RC(RC_INVALID) |
			P0_RID(SID_UNKNOWN) | P0_PASID(5));
	KUNIT_EXPECT_EQ(test, d->qw[1], P1_LPIG | P1_PRGI(7));
	KUNIT_EXPECT_EQ(test, d->qw[2] | d->qw[3], 0);
	d = &f->resp[1];
	KUNIT_EXPECT_EQ(test, d->qw[0], P0_TYPE | P0_PASID_P | P0_RC(RC_INVALID) |
			P0_RID(SID_A) | P0_PASID(1U << 10));
	KUNIT_EXPECT_EQ(test, d->qw[1], P1_LPIG | P1_PRGI(0x1ff));
	d = &f->resp[2];
	KUNIT_EXPECT_EQ(test, d->qw[0], P0_TYPE | P0_RC(RC_INVALID) | P0_RID(SID_B));
	KUNIT_EXPECT_EQ(test, d->qw[1], P1_LPIG | P1_PRGI(1));
	/* Each answer went with a wait descriptor, without drain. */
	KUNIT_EXPECT_EQ(test, f->nr_wait, 3);
	KUNIT_EXPECT_EQ(test, f->wait_qw0[0] & W0_PD, 0);
}

static void prq_test_stop_marker_and_private(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	u64 qw[4];

	fake_dev_new(test, f, SID_A, 1U << 10, true);

	/*
	 * PASID stop markers are dropped: nothing reported, no answer, also
	 * from a device that is not known.
	 */
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) | R0_PASID(9),
		     R1_LPIG | R1_PRGI(4));
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_UNKNOWN) | R0_PASID(9),
		     R1_LPIG | R1_PRGI(5));
	vtd_prq_service(&f->unit);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 0);
	KUNIT_EXPECT_EQ(test, f->nr_resp, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.stop_markers), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.refused), 0);

	/*
	 * Private data (VT-d 3.x) on a request that is not the last: the
	 * core gets it as a request of its group (not the last, so the
	 * group stays open), and the driver answers it at once with LPIG
	 * clear and its private data.
	 */
	qw[0] = R0_TYPE | R0_PASID_P | R0_PDP | R0_RID(SID_A) | R0_PASID(9);
	qw[1] = R1_RD | R1_PRGI(4) | 0x9000;
	qw[2] = 0x1122334455667788ULL;
	qw[3] = 0x99aabbccddeeff00ULL;
	fake_push(f, qw);
	vtd_prq_service(&f->unit);
	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 1);
	KUNIT_EXPECT_FALSE(test, f->reports[0].fault.prm.flags &
			   IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE);
	KUNIT_EXPECT_EQ(test, f->reports[0].fault.prm.grpid, 4);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 1);
	KUNIT_EXPECT_EQ(test, f->resp[0].qw[0], P0_TYPE | P0_PASID_P | P0_PDP |
			P0_RC(RC_SUCCESS) | P0_RID(SID_A) | P0_PASID(9));
	KUNIT_EXPECT_EQ(test, f->resp[0].qw[1], P1_PRGI(4));
	KUNIT_EXPECT_EQ(test, f->resp[0].qw[2], qw[2]);
	KUNIT_EXPECT_EQ(test, f->resp[0].qw[3], qw[3]);

	/*
	 * The group's last request, with private data too: the core gets
	 * it as the last, with its private data, and the driver leaves the
	 * answer to the core.
	 */
	qw[1] = R1_RD | R1_LPIG | R1_PRGI(4) | 0xa000;
	qw[2] = 0x0102030405060708ULL;
	qw[3] = 0x1112131415161718ULL;
	fake_push(f, qw);
	vtd_prq_service(&f->unit);
	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 2);
	KUNIT_EXPECT_TRUE(test, f->reports[1].fault.prm.flags &
			  IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE);
	KUNIT_EXPECT_EQ(test, f->reports[1].fault.prm.private_data[0], qw[2]);
	KUNIT_EXPECT_EQ(test, f->reports[1].fault.prm.private_data[1], qw[3]);
	KUNIT_EXPECT_EQ(test, f->nr_resp, 1);
	/* Its answer through the core: LPIG set, private data echoed. */
	KUNIT_EXPECT_EQ(test, vtd_prq_respond(&f->unit, SID_A,
					      &f->reports[1].fault.prm,
					      IOMMU_PAGE_RESP_SUCCESS), 0);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 2);
	KUNIT_EXPECT_EQ(test, f->resp[1].qw[1], P1_LPIG | P1_PRGI(4));
	KUNIT_EXPECT_EQ(test, f->resp[1].qw[2], qw[2]);
	KUNIT_EXPECT_EQ(test, f->resp[1].qw[3], qw[3]);

	/* Refused with private data, not the last: echoed, LPIG clear. */
	qw[0] = R0_TYPE | R0_PDP | R0_RID(SID_UNKNOWN);
	qw[1] = R1_RD | R1_PRGI(4) | 0x9000;
	fake_push(f, qw);
	vtd_prq_service(&f->unit);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 3);
	KUNIT_EXPECT_EQ(test, f->resp[2].qw[0], P0_TYPE | P0_PDP | P0_RC(RC_INVALID) |
			P0_RID(SID_UNKNOWN));
	KUNIT_EXPECT_EQ(test, f->resp[2].qw[1], P1_PRGI(4));
	KUNIT_EXPECT_EQ(test, f->resp[2].qw[2], qw[2]);
	KUNIT_EXPECT_EQ(test, f->resp[2].qw[3], qw[3]);

	/* The core does not take one: the driver answers it "invalid". */
	f->report_ret = -EINVAL;
	qw[0] = R0_TYPE | R0_PDP | R0_RID(SID_A);
	fake_push(f, qw);
	vtd_prq_service(&f->unit);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 4);
	KUNIT_EXPECT_EQ(test, f->resp[3].qw[0], P0_TYPE | P0_PDP | P0_RC(RC_INVALID) |
			P0_RID(SID_A));
	KUNIT_EXPECT_EQ(test, f->resp[3].qw[1], P1_PRGI(4));
}

static void prq_test_core_refuses(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);

	fake_dev_new(test, f, SID_A, 1U << 10, true);
	/* The core answers what it does not take: the driver must not. */
	f->report_ret = -EINVAL;
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) | R0_PASID(1),
		     R1_RD | R1_LPIG | R1_PRGI(2) | 0x1000);
	vtd_prq_service(&f->unit);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 1);
	KUNIT_EXPECT_EQ(test, f->nr_resp, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.refused), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.reported), 0);
}

static void prq_test_page_response(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct iommu_fault_page_request prm = {
		.flags = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID |
			 IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID |
			 IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
		.pasid = 0xfedcb,
		.grpid = 0x1ff,
		.addr = 0x1000,
	};
	struct vtd_qi_desc *d;

	KUNIT_EXPECT_EQ(test, vtd_prq_respond(&f->unit, SID_A, &prm,
					      IOMMU_PAGE_RESP_SUCCESS), 0);
	KUNIT_EXPECT_EQ(test, vtd_prq_respond(&f->unit, SID_A, &prm,
					      IOMMU_PAGE_RESP_INVALID), 0);
	KUNIT_EXPECT_EQ(test, vtd_prq_respond(&f->unit, SID_A, &prm,
					      IOMMU_PAGE_RESP_FAILURE), 0);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 3);
	d = &f->resp[0];
	/* Written out: 0xfedcb << 32 | 0x0108 << 16 | RC << 12 | P | 9. */
	KUNIT_EXPECT_EQ(test, d->qw[0], 0x000fedcb01080019ULL);
	KUNIT_EXPECT_EQ(test, d->qw[1], 0xffcULL);
	KUNIT_EXPECT_EQ(test, d->qw[2] | d->qw[3], 0);
	KUNIT_EXPECT_EQ(test, f->resp[1].qw[0], 0x000fedcb01081019ULL);
	KUNIT_EXPECT_EQ(test, f->resp[2].qw[0], 0x000fedcb0108f019ULL);
	KUNIT_EXPECT_EQ(test, f->resp[2].qw[1], 0xffcULL);

	/* Not the last of its group: nothing is due. */
	prm.flags &= ~IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	KUNIT_EXPECT_EQ(test, vtd_prq_respond(&f->unit, SID_A, &prm,
					      IOMMU_PAGE_RESP_SUCCESS), 0);
	KUNIT_EXPECT_EQ(test, f->nr_resp, 3);

	/* Without a PASID, with private data. */
	prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	prm.pasid = 0;
	prm.grpid = 0x2a;
	prm.private_data[0] = 0xaa;
	prm.private_data[1] = 0xbb;
	KUNIT_EXPECT_EQ(test, vtd_prq_respond(&f->unit, SID_B, &prm,
					      IOMMU_PAGE_RESP_SUCCESS), 0);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 4);
	d = &f->resp[3];
	KUNIT_EXPECT_EQ(test, d->qw[0], P0_TYPE | P0_PDP | P0_RC(RC_SUCCESS) |
			P0_RID(SID_B));
	KUNIT_EXPECT_EQ(test, d->qw[1], P1_LPIG | P1_PRGI(0x2a));
	KUNIT_EXPECT_EQ(test, d->qw[2], 0xaa);
	KUNIT_EXPECT_EQ(test, d->qw[3], 0xbb);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.responses), 4);
}

static void prq_test_wrap(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	unsigned int i, j, n = 0;

	fake_dev_new(test, f, SID_A, 1U << 10, true);
	/* 300 requests through a ring of 128, 100 per pass. */
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 100; j++, n++)
			KUNIT_ASSERT_TRUE(test, fake_request(f, R0_TYPE | R0_PASID_P |
							     R0_RID(SID_A) | R0_PASID(1),
							     R1_RD | R1_LPIG |
							     R1_PRGI(n & 0x1ff) |
							     ((u64)(n + 1) << 12)));
		vtd_prq_service(&f->unit);
		KUNIT_EXPECT_EQ(test, f->pqh, f->pqt);
	}
	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 300);
	for (i = 0; i < 300; i++) {
		KUNIT_EXPECT_EQ(test, f->reports[i].fault.prm.grpid, i & 0x1ff);
		KUNIT_EXPECT_EQ(test, f->reports[i].fault.prm.addr, (u64)(i + 1) << 12);
	}
	KUNIT_EXPECT_EQ(test, f->pqt, (300 * 32) % (128 * 32));
}

static void prq_test_overflow(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	unsigned int i;

	fake_dev_new(test, f, SID_A, 1U << 10, true);
	/* A ring of 128 holds 127; the 128th overflows it, the next is lost. */
	for (i = 0; i < 127; i++)
		KUNIT_ASSERT_TRUE(test, fake_request(f, R0_TYPE | R0_RID(SID_A),
						     R1_RD | R1_PRGI(i) | 0x1000));
	KUNIT_EXPECT_FALSE(test, fake_request(f, R0_TYPE | R0_RID(SID_A),
					      R1_RD | R1_LPIG | 0x1000));
	KUNIT_EXPECT_TRUE(test, f->prs & VTD_PRS_PRO);
	KUNIT_EXPECT_FALSE(test, fake_request(f, R0_TYPE | R0_RID(SID_A),
					      R1_RD | R1_LPIG | 0x1000));
	KUNIT_EXPECT_EQ(test, f->dropped, 2);

	vtd_prq_service(&f->unit);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 127);
	KUNIT_EXPECT_EQ(test, f->pqh, f->pqt);
	/* Cleared once the queue is empty, and counted. */
	KUNIT_EXPECT_EQ(test, f->prs & VTD_PRS_PRO, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.overflows), 1);

	/* The unit queues again. */
	KUNIT_EXPECT_TRUE(test, fake_request(f, R0_TYPE | R0_RID(SID_A),
					     R1_RD | R1_LPIG | 0x1000));
	vtd_prq_service(&f->unit);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 128);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.overflows), 1);
}

static void prq_test_restart_discards(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	atomic64_t *discards = &f->unit.prq.stats.discards;
	s64 first;

	fake_dev_new(test, f, SID_A, 1U << 10, true);
	/* A group begun: the core holds its first request. */
	fake_request(f, R0_TYPE | R0_RID(SID_A), R1_RD | R1_PRGI(3) | 0x1000);
	vtd_prq_service(&f->unit);
	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 1);
	first = atomic64_read(discards);
	/* Passes without a restart or an overflow discard nothing. */
	vtd_prq_service(&f->unit);
	KUNIT_EXPECT_EQ(test, atomic64_read(discards), first);

	/* Suspend and resume: the queue restarts empty. */
	vtd_prq_hw_stop(&f->unit);
	vtd_prq_hw_start(&f->unit);
	KUNIT_EXPECT_EQ(test, f->pqh, 0);
	KUNIT_EXPECT_EQ(test, f->pqt, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(discards), first);
	fake_request(f, R0_TYPE | R0_RID(SID_A),
		     R1_RD | R1_LPIG | R1_PRGI(3) | 0x2000);
	/* The first pass discards before it reports, once. */
	vtd_prq_service(&f->unit);
	KUNIT_EXPECT_EQ(test, atomic64_read(discards), first + 1);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 2);
	KUNIT_EXPECT_EQ(test, f->discards_at_report, first + 1);
	vtd_prq_service(&f->unit);
	KUNIT_EXPECT_EQ(test, atomic64_read(discards), first + 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.prq.stats.overflows), 0);
}

static void prq_test_polled(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_dev *a = fake_dev_new(test, f, SID_A, 1U << 10, false);
	unsigned int i;

	/* Nobody has IOPF on: nothing polls. */
	fake_request(f, R0_TYPE | R0_RID(SID_UNKNOWN), R1_RD | 0x1000);
	msleep(100);
	KUNIT_EXPECT_EQ(test, f->pqh, 0);

	/* Turning IOPF on starts the poll, which reads the queue by itself. */
	KUNIT_ASSERT_EQ(test, vtd_prq_dev_start(a), 0);
	KUNIT_EXPECT_EQ(test, vtd_prq_dev_start(a), -EBUSY);
	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 1);
	fake_request(f, R0_TYPE | R0_RID(SID_A), R1_RD | R1_LPIG | 0x2000);
	for (i = 0; i < 100 && fake_nr_reports(f) < 1; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(f->pqh), 2 * 32);

	vtd_prq_dev_stop(a);
	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 0);
}

static void prq_test_drain_on_stop(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_dev *a = fake_dev_new(test, f, SID_A, 1U << 10, true);
	struct vtd_dev *b = fake_dev_new(test, f, SID_B, 1U << 10, true);
	unsigned int i;

	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 2);
	/* One request of each in the queue, one of A still in the unit. */
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) | R0_PASID(3),
		     R1_RD | R1_LPIG | R1_PRGI(10) | 0x1000);
	fake_request(f, R0_TYPE | R0_PASID_P | R0_RID(SID_B) | R0_PASID(3),
		     R1_RD | R1_LPIG | R1_PRGI(11) | 0x1000);
	fake_hold(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) | R0_PASID(3),
		  R1_WR | R1_LPIG | R1_PRGI(12) | 0x2000);

	vtd_prq_dev_stop(a);
	KUNIT_EXPECT_FALSE(test, a->iopf);
	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 1);
	/* The unit was drained: a fenced wait with page-request drain. */
	for (i = 0; i < f->nr_wait; i++)
		if (f->wait_qw0[i] & W0_PD)
			break;
	KUNIT_ASSERT_LT(test, i, f->nr_wait);
	KUNIT_EXPECT_TRUE(test, f->wait_qw0[i] & W0_FN);
	KUNIT_EXPECT_EQ(test, f->nr_held, 0);
	KUNIT_EXPECT_EQ(test, f->pqh, f->pqt);
	KUNIT_EXPECT_EQ(test, f->pqt, 3 * 32);
	/* B's request was reported, both of A's answered "invalid". */
	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 1);
	KUNIT_EXPECT_EQ(test, f->reports[0].fault.prm.grpid, 11);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 2);
	KUNIT_EXPECT_EQ(test, f->resp[0].qw[0], P0_TYPE | P0_PASID_P |
			P0_RC(RC_INVALID) | P0_RID(SID_A) | P0_PASID(3));
	KUNIT_EXPECT_EQ(test, f->resp[0].qw[1], P1_LPIG | P1_PRGI(10));
	KUNIT_EXPECT_EQ(test, f->resp[1].qw[1], P1_LPIG | P1_PRGI(12));

	/* Stopping twice is harmless; the last one stops the poll. */
	vtd_prq_dev_stop(a);
	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 1);
	vtd_prq_dev_stop(b);
	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 0);
}

static void prq_test_destroy_answers(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);

	/* Left in the queue when the unit goes: answered, then unpointed. */
	fake_request(f, R0_TYPE | R0_RID(SID_UNKNOWN),
		     R1_RD | R1_LPIG | R1_PRGI(6) | 0x1000);
	vtd_prq_destroy(&f->unit);
	KUNIT_EXPECT_NULL(test, f->unit.prq.ring);
	KUNIT_EXPECT_EQ(test, f->pqa, 0);
	KUNIT_ASSERT_EQ(test, f->nr_resp, 1);
	KUNIT_EXPECT_EQ(test, f->resp[0].qw[1], P1_LPIG | P1_PRGI(6));
}

static void prq_test_enable_refused(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct device *dev;

	/* Not a device of vtd_sm, not PCI: no IOPF, and nothing to undo. */
	dev = &container_of(fake_dev_new(test, f, SID_A, 1, false),
			    struct fake_dev, vdev)->dev;
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(dev), -ENODEV);
	KUNIT_EXPECT_EQ(test, vtd_prq_disable_iopf(dev), -EINVAL);
	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 0);
}

/* Scalable-mode context entry, word 0 */
#define CE0_P		BIT_ULL(0)
#define CE0_DTE		BIT_ULL(2)
#define CE0_PASIDE	BIT_ULL(3)
#define CE0_PRE		BIT_ULL(4)
#define CE0_PDTS	GENMASK_ULL(11, 9)
#define CE0_DIR		GENMASK_ULL(63, 12)
#define CC_SID(d)	(((d)->qw[0] >> 32) & 0xffff)

/* Device-selective context-cache invalidations of @sid since @from. */
static unsigned int fake_nr_cc(struct fake_unit *f, unsigned int from, u16 sid)
{
	unsigned int i, n = 0;

	for (i = from; i < f->nr_other; i++)
		n += (f->other[i].qw[0] & 0xf) == C0_TYPE &&
		     ((f->other[i].qw[0] >> 4) & 3) == 3 &&
		     CC_SID(&f->other[i]) == sid;
	return n;
}

static void fake_ctx_tables_exit(void *data)
{
	vtd_ctx_tables_free(data);
}

/* Empty root and context tables for the unit, freed after the test. */
static void fake_ctx_tables(struct kunit *test, struct fake_unit *f)
{
	spin_lock_init(&f->unit.ctx_lock);
	xa_init(&f->unit.ctx_users);
	KUNIT_ASSERT_EQ(test, vtd_ctx_tables_alloc(&f->unit), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_ctx_tables_exit,
							&f->unit), 0);
}

struct fake_ctx {
	struct vtd_dev *vdev;
	u16 alias;
};

static void fake_ctx_exit(void *data)
{
	struct fake_ctx *c = data;
	struct vtd_qi_batch b;

	vtd_qi_batch_begin(&b, &c->vdev->unit->qi);
	vtd_ctx_remove(c->vdev, c->vdev->sid, &b);
	if (c->alias != c->vdev->sid)
		vtd_ctx_remove(c->vdev, c->alias, &b);
	vtd_qi_submit(&b);
}

/*
 * The context entries of @vdev (with a PASID directory, on a unit with
 * tables) for its source-id and @alias (its source-id again: none), made
 * present as probe makes them, and removed after the test.  Return: the
 * entry of its own source-id.
 */
static u64 *fake_ctx_install(struct kunit *test, struct vtd_dev *vdev,
			     u16 alias)
{
	struct fake_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct vtd_qi_batch b;
	u64 *ce;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->vdev = vdev;
	c->alias = alias;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_ctx_exit, c), 0);
	vtd_qi_batch_begin(&b, &vdev->unit->qi);
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(vdev, vdev->sid, &b), 0);
	if (alias != vdev->sid)
		KUNIT_ASSERT_EQ(test, vtd_ctx_install(vdev, alias, &b), 0);
	KUNIT_ASSERT_EQ(test, vtd_qi_submit(&b), 0);
	ce = vtd_ctx_entry(vdev->unit, PCI_BUS_NUM(vdev->sid), vdev->sid & 0xff);
	KUNIT_ASSERT_NOT_NULL(test, ce);
	return ce;
}

static void pe_dev_exit(void *data)
{
	struct vtd_dev *vdev = data;

	vtd_ctx_pasid_dir_free(vdev);
	mutex_destroy(&vdev->pasid_lock);
}

/* @vdev gets a PASID directory, for its entries to be changed. */
static void pe_dev_setup(struct kunit *test, struct vtd_dev *vdev)
{
	mutex_init(&vdev->pasid_lock);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pasid_dir_alloc(vdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pe_dev_exit, vdev), 0);
}

/* A device with a PASID directory, for its entries to be changed. */
static struct vtd_dev *pe_dev_new(struct kunit *test, struct fake_unit *f,
				  u16 sid, bool iopf)
{
	struct vtd_dev *vdev = fake_dev_new(test, f, sid, 1U << 10, iopf);

	pe_dev_setup(test, vdev);
	return vdev;
}

static void prq_test_context_pre(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_dev *a;
	u64 *ce, *alias, before;

	/* Context entries for the device and a DMA alias of it. */
	fake_ctx_tables(test, f);
	a = pe_dev_new(test, f, SID_A, false);
	ce = fake_ctx_install(test, a, SID_B);
	alias = vtd_ctx_entry(&f->unit, SID_B >> 8, SID_B & 0xff);
	KUNIT_ASSERT_NOT_NULL(test, alias);
	before = ce[0];
	KUNIT_EXPECT_FALSE(test, before & CE0_PRE);

	f->nr_other = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_pre(a, true), 0);
	/* PRE and nothing else changes, in both entries. */
	KUNIT_EXPECT_EQ(test, ce[0], before | CE0_PRE);
	KUNIT_EXPECT_EQ(test, alias[0] & ~CE0_PRE, before);
	KUNIT_EXPECT_TRUE(test, alias[0] & CE0_PRE);
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_P);
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(a->pasid_dir));
	/* A device-selective context-cache invalidation for each. */
	KUNIT_EXPECT_EQ(test, fake_nr_cc(f, 0, SID_A), 1);
	KUNIT_EXPECT_EQ(test, fake_nr_cc(f, 0, SID_B), 1);

	KUNIT_EXPECT_EQ(test, vtd_ctx_set_pre(a, false), 0);
	KUNIT_EXPECT_EQ(test, ce[0], before);
	KUNIT_EXPECT_EQ(test, alias[0], before);
}

static unsigned int nr_drain_waits(struct fake_unit *f)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->nr_wait; i++)
		n += !!(f->wait_qw0[i] & W0_PD);
	return n;
}

static void prq_test_drain_on_detach(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_dev *a = pe_dev_new(test, f, SID_A, true);
	struct vtd_dev *b = pe_dev_new(test, f, SID_B, false);
	struct vtd_pasid_cfg cfg = { .did = 5, .sl.levels = 4 };
	struct vtd_pasid_entry pt, blocked;
	bool dirty;

	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&pt, &cfg), 0);
	vtd_pasid_encode_blocked(&blocked, false);

	/* Attach: no old entry, no drain. */
	KUNIT_ASSERT_EQ(test, __vtd_dev_set_pasid_entry(a, 7, &pt, &dirty), 0);
	KUNIT_EXPECT_EQ(test, nr_drain_waits(f), 0);

	/*
	 * Detach with a request of the PASID still in the unit: drained
	 * and reported before the detach returns.
	 */
	fake_hold(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) | R0_PASID(7),
		  R1_RD | R1_LPIG | R1_PRGI(9) | 0x3000);
	KUNIT_ASSERT_EQ(test, __vtd_dev_set_pasid_entry(a, 7, &blocked, &dirty), 0);
	KUNIT_EXPECT_EQ(test, nr_drain_waits(f), 1);
	KUNIT_EXPECT_EQ(test, f->nr_held, 0);
	KUNIT_EXPECT_EQ(test, f->pqh, f->pqt);
	KUNIT_ASSERT_EQ(test, fake_nr_reports(f), 1);
	KUNIT_EXPECT_EQ(test, f->reports[0].fault.prm.pasid, 7);
	KUNIT_EXPECT_EQ(test, f->reports[0].fault.prm.grpid, 9);

	/* Replace (present to present) drains too. */
	KUNIT_ASSERT_EQ(test, __vtd_dev_set_pasid_entry(a, 8, &pt, &dirty), 0);
	cfg.did = 6;
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&pt, &cfg), 0);
	fake_hold(f, R0_TYPE | R0_PASID_P | R0_RID(SID_A) | R0_PASID(8),
		  R1_WR | R1_LPIG | R1_PRGI(10) | 0x4000);
	KUNIT_ASSERT_EQ(test, __vtd_dev_set_pasid_entry(a, 8, &pt, &dirty), 0);
	KUNIT_EXPECT_EQ(test, nr_drain_waits(f), 2);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 2);

	/* A device without IOPF: no drain, whatever the unit holds. */
	KUNIT_ASSERT_EQ(test, __vtd_dev_set_pasid_entry(b, 7, &pt, &dirty), 0);
	fake_hold(f, R0_TYPE | R0_PASID_P | R0_RID(SID_B) | R0_PASID(7),
		  R1_RD | R1_LPIG | R1_PRGI(11) | 0x5000);
	KUNIT_ASSERT_EQ(test, __vtd_dev_set_pasid_entry(b, 7, &blocked, &dirty), 0);
	KUNIT_EXPECT_EQ(test, nr_drain_waits(f), 2);
	KUNIT_EXPECT_EQ(test, f->nr_held, 1);
	KUNIT_EXPECT_EQ(test, fake_nr_reports(f), 2);
	f->nr_held = 0;
}

/*
 * IOMMU_DEV_FEAT_IOPF, and the ATS it needs, on the PCIe function of
 * pci_kunit.c with the ATS and PRI capabilities: probed by hand in the
 * order of vtd_probe_device(), with dev->iommu as the IOMMU core sets it
 * up, on a unit whose page requests go to the core's fault queue.
 */
#define IOPF_MAX_REQS	512	/* the device's; the queue asks for 128 */
#define IOPF_ATS_QDEP	8

/* Options of iopf_dev_new() */
#define IOPF_NO_PRI	BIT(0)	/* without the PRI capability */
#define IOPF_NO_ATS	BIT(1)	/* without the ATS capability */
#define IOPF_PASID	BIT(2)	/* its PASID capability enabled at probe */
#define IOPF_PASID_REQ	BIT(3)	/* PRI: PRG responses carry the PASID */

/* PCIe configuration fields, per the PCIe specification */
#define ATS_CTRL_ENABLE	BIT(15)
#define PRI_CTRL_ENABLE	BIT(0)

struct iopf_dev {
	struct vtd_dev vdev;
	struct fake_pci *pci;
	struct dev_iommu param;
	u64 *ce;		/* its context entry */
};

/* What vtd_prq_enable_iopf() may change. */
struct iopf_state {
	u8 *cfg;		/* a copy of the configuration space */
	u64 ce0;
	void *fault_param;
	unsigned int users;
	unsigned int descs;
	bool iopf, pri, pre, pri_enabled;
};

/* The core answers groups it still holds at removal: none here. */
static void iopf_page_response(struct device *dev, struct iopf_fault *evt,
			       struct iommu_page_response *msg)
{
}

static const struct iommu_ops iopf_ops = {
	.page_response = iopf_page_response,
};

static struct fake_unit *iopf_unit_new(struct kunit *test, enum fake_prq prq,
				       u64 ecap_off)
{
	struct fake_unit *f = __fake_new(test, prq);

	f->unit.ecap &= ~ecap_off;
	f->unit.iommu.ops = &iopf_ops;
	fake_ctx_tables(test, f);
	return f;
}

/* What vtd_release_device() undoes that the other fixtures do not. */
static void iopf_dev_exit(void *data)
{
	struct iopf_dev *d = data;

	vtd_ats_disable(&d->vdev);
	vtd_dev_disable_pasid(&d->pci->pdev);
	d->pci->pdev.dev.iommu = NULL;
	mutex_destroy(&d->param.lock);
}

/* A test that failed half-way may leave IOPF on. */
static void iopf_off_exit(void *data)
{
	struct iopf_dev *d = data;
	struct device *dev = &d->pci->pdev.dev;

	if (d->vdev.pri)
		vtd_prq_disable_iopf(dev);
	if (rcu_access_pointer(d->param.fault_param))
		iopf_queue_remove_device(d->vdev.unit->prq.iopfq, dev);
}

static struct iopf_dev *iopf_dev_new(struct kunit *test, struct fake_unit *f,
				     unsigned int opts)
{
	struct iopf_dev *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct vtd_dev *vdev;
	struct pci_dev *pdev;

	KUNIT_ASSERT_NOT_NULL(test, d);
	vdev = &d->vdev;
	d->pci = fake_pci_alloc(test, 8);
	pdev = &d->pci->pdev;
	if (!(opts & IOPF_NO_ATS))
		fake_pci_add_ats(d->pci, IOPF_ATS_QDEP);
	if (!(opts & IOPF_NO_PRI))
		fake_pci_add_pri(d->pci, IOPF_MAX_REQS, opts & IOPF_PASID_REQ);
	mutex_init(&d->param.lock);
	d->param.iommu_dev = &f->unit.iommu;
	d->param.priv = vdev;
	pdev->dev.iommu = &d->param;

	fake_dev_join(test, f, vdev, &pdev->dev, pci_dev_id(pdev), 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, iopf_dev_exit, d), 0);
	if (opts & IOPF_PASID) {
		vdev->pci_pasids = vtd_dev_enable_pasid(&f->unit, pdev);
		KUNIT_ASSERT_EQ(test, vdev->pci_pasids, 256U);
		vdev->max_pasids = vdev->pci_pasids;
	}
	vtd_ats_probe(vdev);
	pe_dev_setup(test, vdev);
	d->ce = fake_ctx_install(test, vdev, vdev->sid);
	vtd_ats_enable(vdev);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, iopf_off_exit, d), 0);
	return d;
}

static u16 iopf_pri_ctrl(struct iopf_dev *d)
{
	return fake_pci_get16(d->pci, d->pci->pdev.pri_cap + PCI_PRI_CTRL);
}

static void iopf_state_get(struct kunit *test, struct iopf_dev *d,
			   struct iopf_state *s)
{
	struct fake_unit *f = container_of(d->vdev.unit, struct fake_unit, unit);

	s->cfg = kunit_kmalloc(test, sizeof(d->pci->cfg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->cfg);
	memcpy(s->cfg, d->pci->cfg, sizeof(d->pci->cfg));
	s->ce0 = READ_ONCE(d->ce[0]);
	s->fault_param = rcu_access_pointer(d->param.fault_param);
	s->users = f->unit.prq.users;
	s->descs = f->nr_other + f->nr_wait;
	s->iopf = d->vdev.iopf;
	s->pri = d->vdev.pri;
	s->pre = d->vdev.pre;
	s->pri_enabled = d->pci->pdev.pri_enabled;
}

/*
 * IOPF as it was in @s: on the device, in the context entry, in the
 * unit's page request users and the core's fault queue.  If @exact, the
 * configuration space is untouched and no descriptor was submitted too.
 */
static void iopf_expect_state(struct kunit *test, struct iopf_dev *d,
			      const struct iopf_state *s, bool exact)
{
	struct iopf_state now;

	iopf_state_get(test, d, &now);
	KUNIT_EXPECT_EQ(test, now.ce0, s->ce0);
	KUNIT_EXPECT_PTR_EQ(test, now.fault_param, s->fault_param);
	KUNIT_EXPECT_EQ(test, now.users, s->users);
	KUNIT_EXPECT_EQ(test, now.iopf, s->iopf);
	KUNIT_EXPECT_EQ(test, now.pri, s->pri);
	KUNIT_EXPECT_EQ(test, now.pre, s->pre);
	KUNIT_EXPECT_EQ(test, now.pri_enabled, s->pri_enabled);
	if (d->pci->pdev.pri_cap)
		KUNIT_EXPECT_EQ(test, iopf_pri_ctrl(d) & PRI_CTRL_ENABLE,
				s->pri_enabled ? PRI_CTRL_ENABLE : 0);
	if (exact) {
		KUNIT_EXPECT_MEMEQ(test, now.cfg, s->cfg, sizeof(d->pci->cfg));
		KUNIT_EXPECT_EQ(test, now.descs, s->descs);
	}
}

static void iopf_test_enable_disable(struct kunit *test)
{
	struct fake_unit *f = iopf_unit_new(test, FAKE_PRQ_CORE, 0);
	struct iopf_dev *d = iopf_dev_new(test, f, IOPF_PASID | IOPF_PASID_REQ);
	struct pci_dev *pdev = &d->pci->pdev;
	struct device *dev = &pdev->dev;
	struct iopf_queue *q = f->unit.prq.iopfq;
	struct iommu_fault_param *fp;
	struct iopf_state off;
	unsigned int from;
	u16 ats;

	KUNIT_ASSERT_TRUE(test, d->vdev.ats_enabled);
	KUNIT_ASSERT_TRUE(test, pdev->pasid_enabled);
	KUNIT_ASSERT_NOT_NULL(test, q);
	iopf_state_get(test, d, &off);
	KUNIT_EXPECT_FALSE(test, off.ce0 & CE0_PRE);
	KUNIT_EXPECT_NULL(test, off.fault_param);
	ats = fake_pci_get16(d->pci, pdev->ats_cap + PCI_ATS_CTRL);
	from = f->nr_other;

	KUNIT_ASSERT_EQ(test, vtd_prq_enable_iopf(dev), 0);
	/* PRI on, with as many outstanding requests as the queue holds. */
	KUNIT_EXPECT_EQ(test, iopf_pri_ctrl(d), PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, fake_pci_get32(d->pci, pdev->pri_cap +
					     PCI_PRI_ALLOC_REQ),
			f->unit.prq.size);
	KUNIT_EXPECT_EQ(test, f->unit.prq.size, 128);
	KUNIT_EXPECT_EQ(test, pdev->pri_reqs_alloc, 128);
	KUNIT_EXPECT_TRUE(test, pdev->pri_enabled);
	/* PRE, and nothing else, in the context entry, invalidated. */
	KUNIT_EXPECT_EQ(test, d->ce[0], off.ce0 | CE0_PRE);
	KUNIT_EXPECT_EQ(test, fake_nr_cc(f, from, d->vdev.sid), 1);
	KUNIT_EXPECT_TRUE(test, d->vdev.pri);
	KUNIT_EXPECT_TRUE(test, d->vdev.iopf);
	KUNIT_EXPECT_EQ(test, f->unit.prq.users, 1);
	/* On the unit's fault queue of the IOMMU core, alone. */
	fp = rcu_access_pointer(d->param.fault_param);
	KUNIT_ASSERT_NOT_NULL(test, fp);
	KUNIT_EXPECT_PTR_EQ(test, fp->queue, q);
	KUNIT_EXPECT_PTR_EQ(test, fp->dev, dev);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&q->devices));
	/* ATS and PASID stay as they were. */
	KUNIT_EXPECT_EQ(test, fake_pci_get16(d->pci, pdev->ats_cap + PCI_ATS_CTRL),
			ats);
	KUNIT_EXPECT_TRUE(test, pdev->pasid_enabled);

	from = f->nr_other;
	KUNIT_EXPECT_EQ(test, vtd_prq_disable_iopf(dev), 0);
	iopf_expect_state(test, d, &off, false);
	KUNIT_EXPECT_EQ(test, iopf_pri_ctrl(d), 0);
	KUNIT_EXPECT_EQ(test, fake_nr_cc(f, from, d->vdev.sid), 1);
	KUNIT_EXPECT_TRUE(test, list_empty(&q->devices));
	KUNIT_EXPECT_EQ(test, fake_pci_get16(d->pci, pdev->ats_cap + PCI_ATS_CTRL),
			ats);

	/* Off already: refused, nothing changes. */
	iopf_state_get(test, d, &off);
	KUNIT_EXPECT_EQ(test, vtd_prq_disable_iopf(dev), -EINVAL);
	iopf_expect_state(test, d, &off, true);

	/* On again (PRI was left stopped), and off at the end of the test. */
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(dev), 0);
	KUNIT_EXPECT_EQ(test, iopf_pri_ctrl(d), PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, d->ce[0], off.ce0 | CE0_PRE);
}

/* A device that IOPF is refused to, and why. */
struct iopf_refusal {
	const char *name;
	enum fake_prq prq;
	u64 ecap_off;
	unsigned int opts;
	int err;
};

static const struct iopf_refusal iopf_refusals[] = {
	{ "no PRI capability", FAKE_PRQ_CORE, 0, IOPF_NO_PRI, -ENODEV },
	{ "ATS not enabled", FAKE_PRQ_CORE, 0, IOPF_NO_ATS, -ENODEV },
	{ "unit without ECAP.DT", FAKE_PRQ_CORE, VTD_ECAP_DT, 0, -ENODEV },
	{ "unit without page request queue", FAKE_PRQ_NONE, 0, 0, -ENODEV },
	{ "PASID enabled, PRI does not require it in responses",
	  FAKE_PRQ_CORE, 0, IOPF_PASID, -EINVAL },
};

static void iopf_refusal_desc(const struct iopf_refusal *r, char *desc)
{
	strscpy(desc, r->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(iopf_refusal, iopf_refusals, iopf_refusal_desc);

static void iopf_test_refused(struct kunit *test)
{
	const struct iopf_refusal *r = test->param_value;
	struct fake_unit *f = iopf_unit_new(test, r->prq, r->ecap_off);
	struct iopf_dev *d = iopf_dev_new(test, f, r->opts);
	struct iopf_state off;

	iopf_state_get(test, d, &off);
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(&d->pci->pdev.dev), r->err);
	iopf_expect_state(test, d, &off, true);
	KUNIT_EXPECT_EQ(test, vtd_prq_disable_iopf(&d->pci->pdev.dev), -EINVAL);
	iopf_expect_state(test, d, &off, true);
}

static void iopf_test_busy(struct kunit *test)
{
	struct fake_unit *f = iopf_unit_new(test, FAKE_PRQ_CORE, 0);
	/* Without PASIDs, responses need no PASID: accepted. */
	struct iopf_dev *d = iopf_dev_new(test, f, 0);
	struct iopf_state on;

	KUNIT_ASSERT_EQ(test, vtd_prq_enable_iopf(&d->pci->pdev.dev), 0);
	iopf_state_get(test, d, &on);
	KUNIT_EXPECT_TRUE(test, on.pri);
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(&d->pci->pdev.dev), -EBUSY);
	iopf_expect_state(test, d, &on, true);
}

/*
 * PRI cannot be enabled: what was done before is undone (PRE set and
 * cleared again, the fault queue left), and IOPF can be enabled later.
 */
static void iopf_test_pri_fails(struct kunit *test)
{
	struct fake_unit *f = iopf_unit_new(test, FAKE_PRQ_CORE, 0);
	struct iopf_dev *d = iopf_dev_new(test, f, 0);
	struct device *dev = &d->pci->pdev.dev;
	struct iopf_state off;
	unsigned int from;

	iopf_state_get(test, d, &off);
	/* The interface does not stop after its reset. */
	d->pci->pri_busy = true;
	from = f->nr_other;
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(dev), -EBUSY);
	iopf_expect_state(test, d, &off, false);
	KUNIT_EXPECT_EQ(test, fake_nr_cc(f, from, d->vdev.sid), 2);
	KUNIT_EXPECT_EQ(test, fake_pci_get32(d->pci, d->pci->pdev.pri_cap +
					     PCI_PRI_ALLOC_REQ), 0);
	d->pci->pri_busy = false;

	/* The PCI core has it enabled already (no one else should). */
	d->pci->pdev.pri_enabled = 1;
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(dev), -EINVAL);
	d->pci->pdev.pri_enabled = 0;
	iopf_expect_state(test, d, &off, false);

	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(dev), 0);
	KUNIT_EXPECT_TRUE(test, d->vdev.pri);
	KUNIT_EXPECT_EQ(test, iopf_pri_ctrl(d), PRI_CTRL_ENABLE);
}

/*
 * The invalidation of the context entries fails (IQE): on enable,
 * nothing stays on, also when the unwind's invalidation fails too; on
 * disable, everything goes off regardless.
 */
static void iopf_test_invalidation_fails(struct kunit *test)
{
	struct fake_unit *f = iopf_unit_new(test, FAKE_PRQ_CORE, 0);
	struct iopf_dev *d = iopf_dev_new(test, f, 0);
	struct device *dev = &d->pci->pdev.dev;
	struct iopf_state off;

	iopf_state_get(test, d, &off);
	f->refuse_cc = 1;
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(dev), -EIO);
	KUNIT_EXPECT_EQ(test, f->refuse_cc, 0);
	iopf_expect_state(test, d, &off, false);
	/* PRI was never touched. */
	KUNIT_EXPECT_MEMEQ(test, d->pci->cfg, off.cfg, sizeof(d->pci->cfg));

	f->refuse_cc = 2;
	KUNIT_EXPECT_EQ(test, vtd_prq_enable_iopf(dev), -EIO);
	KUNIT_EXPECT_EQ(test, f->refuse_cc, 0);
	iopf_expect_state(test, d, &off, false);

	KUNIT_ASSERT_EQ(test, vtd_prq_enable_iopf(dev), 0);
	f->refuse_cc = 1;
	KUNIT_EXPECT_EQ(test, vtd_prq_disable_iopf(dev), 0);
	KUNIT_EXPECT_EQ(test, f->refuse_cc, 0);
	iopf_expect_state(test, d, &off, false);
}

/*
 * ATS at probe: with ECAP.DT (and the device on a root bus, which the
 * DMAR table needs no ATSR for) the context entry has DTE and ATS is on
 * in the device, with a smallest translation of 4 KiB; without ECAP.DT
 * neither.
 */
static void iopf_test_ats_probe(struct kunit *test)
{
	struct fake_unit *f = iopf_unit_new(test, FAKE_PRQ_NONE, 0);
	struct fake_unit *no_dt = iopf_unit_new(test, FAKE_PRQ_NONE, VTD_ECAP_DT);
	struct fake_unit *f2 = iopf_unit_new(test, FAKE_PRQ_NONE, 0);
	struct iopf_dev *d = iopf_dev_new(test, f, IOPF_NO_PRI);
	struct iopf_dev *n = iopf_dev_new(test, no_dt, IOPF_NO_PRI);
	struct iopf_dev *plain = iopf_dev_new(test, f2, IOPF_NO_PRI | IOPF_NO_ATS);

	/* STU field 0: 2^(12 + 0) bytes. */
	KUNIT_EXPECT_EQ(test, fake_pci_get16(d->pci, d->pci->pdev.ats_cap +
					     PCI_ATS_CTRL), ATS_CTRL_ENABLE);
	KUNIT_EXPECT_TRUE(test, d->pci->pdev.ats_enabled);
	KUNIT_EXPECT_TRUE(test, d->ce[0] & CE0_DTE);
	KUNIT_EXPECT_TRUE(test, d->vdev.ats_enabled);
	KUNIT_EXPECT_EQ(test, d->vdev.ats_qdep, IOPF_ATS_QDEP);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->unit.ats_devices), 1);

	KUNIT_EXPECT_EQ(test, fake_pci_get16(n->pci, n->pci->pdev.ats_cap +
					     PCI_ATS_CTRL), 0);
	KUNIT_EXPECT_FALSE(test, n->pci->pdev.ats_enabled);
	KUNIT_EXPECT_FALSE(test, n->ce[0] & CE0_DTE);
	KUNIT_EXPECT_FALSE(test, n->vdev.ats_enabled);
	KUNIT_EXPECT_EQ(test, atomic_read(&no_dt->unit.ats_devices), 0);

	/* A device without the capability, on a unit with ECAP.DT. */
	KUNIT_EXPECT_FALSE(test, plain->ce[0] & CE0_DTE);
	KUNIT_EXPECT_FALSE(test, plain->vdev.ats_enabled);
	KUNIT_EXPECT_TRUE(test, plain->ce[0] & CE0_P);
	KUNIT_EXPECT_EQ(test, atomic_read(&f2->unit.ats_devices), 0);
}

static struct kunit_case iopf_test_cases[] = {
	KUNIT_CASE(iopf_test_enable_disable),
	KUNIT_CASE_PARAM(iopf_test_refused, iopf_refusal_gen_params),
	KUNIT_CASE(iopf_test_busy),
	KUNIT_CASE(iopf_test_pri_fails),
	KUNIT_CASE(iopf_test_invalidation_fails),
	KUNIT_CASE(iopf_test_ats_probe),
	{}
};

static struct kunit_suite iopf_test_suite = {
	.name = "vtd_sm_iopf",
	.test_cases = iopf_test_cases,
};

static struct kunit_case prq_test_cases[] = {
	KUNIT_CASE(prq_test_hw_start),
	KUNIT_CASE(prq_test_report_fields),
	KUNIT_CASE(prq_test_refused),
	KUNIT_CASE(prq_test_stop_marker_and_private),
	KUNIT_CASE(prq_test_core_refuses),
	KUNIT_CASE(prq_test_page_response),
	KUNIT_CASE(prq_test_wrap),
	KUNIT_CASE(prq_test_overflow),
	KUNIT_CASE(prq_test_restart_discards),
	KUNIT_CASE(prq_test_polled),
	KUNIT_CASE(prq_test_drain_on_stop),
	KUNIT_CASE(prq_test_destroy_answers),
	KUNIT_CASE(prq_test_enable_refused),
	KUNIT_CASE(prq_test_context_pre),
	KUNIT_CASE(prq_test_drain_on_detach),
	{}
};

static struct kunit_suite prq_test_suite = {
	.name = "vtd_sm_prq",
	.test_cases = prq_test_cases,
};

kunit_test_suites(&prq_test_suite, &iopf_test_suite);

MODULE_DESCRIPTION("KUnit tests of vtd_sm page requests, IOPF, ATS and PASID");
MODULE_LICENSE("GPL");
