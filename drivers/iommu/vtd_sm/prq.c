// SPDX-License-Identifier: GPL-2.0
/*
 * Page requests (I/O page faults) of units with ECAP.PRS.
 *
 * A device with the PCI Page Request Interface asks for a translation it
 * was refused (ATS) to be made present with a page request; the unit
 * writes each one as a 256-bit descriptor into the page request queue, a
 * ring in memory that software reads from PQH_REG to PQT_REG.  Requests
 * of one page request group (PRG index) come one by one, the last with
 * "last page in group" (LPIG) set; the group is answered once, with a
 * page group response descriptor on the invalidation queue.
 *
 * Each request is checked (a device of the unit with IOPF enabled, a PASID
 * below the device's PASID count) and handed to the IOMMU core with
 * iommu_report_device_fault(), which collects a group and calls the
 * handler of the domain attached to the RID or PASID (iommufd's fault
 * queues).  A request that fails the checks is answered at once,
 * "invalid", when the device waits for an answer (LPIG), so that it never
 * waits forever; one the core does not take is answered by the core.
 * PASID stop markers (LPIG without read or write) need no answer and are
 * dropped, as the core asks.  A request with private data (VT-d 3.x) that
 * is not the last of its group is answered by the driver as soon as the
 * core has it (LPIG clear, its private data echoed); the core answers the
 * group from its last request, with that request's LPIG and private data.
 *
 * Like fault recording (fault.c), the queue is polled from a delayed work
 * instead of serviced from its interrupt (dmar_alloc_hwirq() is not
 * exported to modules), and only while a device of the unit has IOPF
 * enabled; the page request event interrupt stays masked.  The work is
 * freezable, so that no pass runs while the units sleep.
 *
 * When the queue was full the unit sets PRO and answers further requests
 * itself; groups collected in part may then never see their last request,
 * so once the queue is empty again the core's partial groups of the unit
 * are discarded and PRO is cleared.  The same holds when the queue is
 * restarted empty (resume): the first pass after it discards them.
 *
 * Turning IOPF off for a device drains it: the unit is asked to write out
 * every page request it has received (an invalidation wait descriptor
 * with page-request drain, when ECAP.PDS), the queue is read, the
 * device's requests in it are answered "invalid", and the IOMMU core
 * answers the groups it still holds before the device leaves its queue.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <kunit/visibility.h>
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/workqueue.h>

#include "regs.h"
#include "vtd.h"

#define VTD_PRQ_POLL_MS		10
#define VTD_PRQ_DESC_SHIFT	5	/* 32 bytes per descriptor */
/* Passes a drain makes while the unit reports an overflow. */
#define VTD_PRQ_DRAIN_TRIES	8

/* Page request descriptor, word 0 */
#define VTD_PRQ_PASID_P		BIT_ULL(8)
#define VTD_PRQ_PDP		BIT_ULL(9)
#define VTD_PRQ_RID		GENMASK_ULL(31, 16)
#define VTD_PRQ_PASID		GENMASK_ULL(51, 32)
#define VTD_PRQ_EXE		BIT_ULL(52)
#define VTD_PRQ_PRIV		BIT_ULL(53)
/* word 1 */
#define VTD_PRQ_RD		BIT_ULL(0)
#define VTD_PRQ_WR		BIT_ULL(1)
#define VTD_PRQ_LPIG		BIT_ULL(2)
#define VTD_PRQ_PRGI		GENMASK_ULL(11, 3)
#define VTD_PRQ_ADDR		GENMASK_ULL(63, 12)

static u64 vtd_prq_read(struct vtd_unit *unit, unsigned int reg)
{
	return unit->qi.io->read(unit->qi.io_priv, reg);
}

static void vtd_prq_write(struct vtd_unit *unit, unsigned int reg, u64 val)
{
	unit->qi.io->write(unit->qi.io_priv, reg, val);
}

/* Byte offsets in the ring wrap at its size; descriptors are 32 bytes. */
static u64 vtd_prq_mask(struct vtd_prq *prq)
{
	return ((u64)prq->size << VTD_PRQ_DESC_SHIFT) - 1;
}

static unsigned int vtd_prq_rc(enum iommu_page_response_code code)
{
	switch (code) {
	case IOMMU_PAGE_RESP_SUCCESS:
		return VTD_PGRP_RC_SUCCESS;
	case IOMMU_PAGE_RESP_INVALID:
		return VTD_PGRP_RC_INVALID;
	default:
		return VTD_PGRP_RC_FAILURE;
	}
}

static int __vtd_prq_respond(struct vtd_unit *unit, u16 sid,
			     const struct iommu_fault_page_request *prm,
			     enum iommu_page_response_code code, bool pdp)
{
	bool last = prm->flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	struct vtd_qi_desc d;

	if (!last && !pdp)
		return 0;
	vtd_qi_encode_pgrp_resp(&d, sid,
				prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID,
				prm->pasid, vtd_prq_rc(code), prm->grpid, last,
				pdp ? prm->private_data : NULL);
	atomic64_inc(&unit->prq.stats.responses);
	return vtd_qi_submit_raw(&unit->qi, &d, 1, 0);
}

/**
 * vtd_prq_respond() - answer a page request group
 * @unit: the unit the request came through
 * @sid: requester id of the device
 * @prm: the request as reported (the group's last one)
 * @code: the answer
 *
 * Builds a page group response descriptor (PASID when the request had
 * one, requester id, PRG index, response code, and the private data of a
 * request that carried some) and submits it on the invalidation queue.
 * A request that is not the last of its group and carries no private
 * data needs no answer: nothing is submitted.
 *
 * The IOMMU core of 6.12 has no flag for private data (VT-d 4.0 dropped
 * it): a request is taken to have carried some when @prm holds any that
 * is not zero.
 *
 * Context: any; spins while the unit works.
 * Return: 0, or the error of the invalidation queue.
 */
int vtd_prq_respond(struct vtd_unit *unit, u16 sid,
		    const struct iommu_fault_page_request *prm,
		    enum iommu_page_response_code code)
{
	return __vtd_prq_respond(unit, sid, prm, code,
				 prm->private_data[0] || prm->private_data[1]);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_respond);

/* The fields of a page request descriptor the IOMMU core takes. */
static void vtd_prq_decode(const struct vtd_qi_desc *req,
			   struct iommu_fault_page_request *prm)
{
	u64 qw0 = req->qw[0], qw1 = req->qw[1];

	memset(prm, 0, sizeof(*prm));
	prm->addr = qw1 & VTD_PRQ_ADDR;
	prm->grpid = FIELD_GET(VTD_PRQ_PRGI, qw1);
	if (qw1 & VTD_PRQ_RD)
		prm->perm |= IOMMU_FAULT_PERM_READ;
	if (qw1 & VTD_PRQ_WR)
		prm->perm |= IOMMU_FAULT_PERM_WRITE;
	if (qw0 & VTD_PRQ_EXE)
		prm->perm |= IOMMU_FAULT_PERM_EXEC;
	if (qw0 & VTD_PRQ_PRIV)
		prm->perm |= IOMMU_FAULT_PERM_PRIV;
	if (qw1 & VTD_PRQ_LPIG)
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	if (qw0 & VTD_PRQ_PASID_P) {
		prm->pasid = FIELD_GET(VTD_PRQ_PASID, qw0);
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID |
			      IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID;
	}
	/*
	 * Private data (VT-d 3.x; 4.0 dropped it) must come back in the
	 * response.  Only the last request of a group carries it to the
	 * core: the core answers a group once, from its last request, and
	 * vtd_prq_handle() answers a request with private data that is not
	 * the last itself.
	 */
	if ((qw0 & VTD_PRQ_PDP) && (qw1 & VTD_PRQ_LPIG)) {
		prm->private_data[0] = req->qw[2];
		prm->private_data[1] = req->qw[3];
	}
}

/*
 * Answer one request from the driver, with its own LPIG and private data,
 * if the unit waits for an answer (LPIG, or private data).
 */
static void vtd_prq_answer(struct vtd_unit *unit, const struct vtd_qi_desc *req,
			   const struct iommu_fault_page_request *prm,
			   enum iommu_page_response_code code)
{
	struct iommu_fault_page_request p = *prm;
	u16 sid = FIELD_GET(VTD_PRQ_RID, req->qw[0]);
	bool pdp = req->qw[0] & VTD_PRQ_PDP;

	if (pdp) {
		p.private_data[0] = req->qw[2];
		p.private_data[1] = req->qw[3];
	}
	__vtd_prq_respond(unit, sid, &p, code, pdp);
}

/* Answer a request that is not reported, if its device waits for one. */
static void vtd_prq_refuse(struct vtd_unit *unit, const struct vtd_qi_desc *req,
			   const struct iommu_fault_page_request *prm,
			   const char *why)
{
	u16 sid = FIELD_GET(VTD_PRQ_RID, req->qw[0]);

	atomic64_inc(&unit->prq.stats.refused);
	pr_err_ratelimited("%s: page request from %04x:%02x:%02x.%u refused (%s): %016llx %016llx\n",
			   unit->name, unit->segment, PCI_BUS_NUM(sid),
			   PCI_SLOT(sid & 0xff), PCI_FUNC(sid & 0xff), why,
			   req->qw[0], req->qw[1]);
	vtd_prq_answer(unit, req, prm, IOMMU_PAGE_RESP_INVALID);
}

/* One request: report it, answer it, or drop it.  prq->lock held. */
static void vtd_prq_handle(struct vtd_unit *unit, const struct vtd_qi_desc *req)
{
	u16 sid = FIELD_GET(VTD_PRQ_RID, req->qw[0]);
	struct iopf_fault evt = { .fault.type = IOMMU_FAULT_PAGE_REQ };
	struct iommu_fault_page_request *prm = &evt.fault.prm;
	enum iommu_page_response_code code;
	struct vtd_dev *vdev;

	atomic64_inc(&unit->prq.stats.requests);
	vtd_prq_decode(req, prm);

	/* A PASID stop marker expects no answer, whoever sent it. */
	if (!(req->qw[1] & (VTD_PRQ_RD | VTD_PRQ_WR)) &&
	    (req->qw[1] & VTD_PRQ_LPIG)) {
		atomic64_inc(&unit->prq.stats.stop_markers);
		return;
	}
	/* Devices leave @unit->devices before they are freed (release). */
	vdev = xa_load(&unit->devices, sid);
	if (!vdev) {
		vtd_prq_refuse(unit, req, prm, "unknown requester");
		return;
	}
	if (!vdev->iopf) {
		vtd_prq_refuse(unit, req, prm, "IOPF off");
		return;
	}
	if ((prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) &&
	    prm->pasid >= READ_ONCE(vdev->max_pasids)) {
		vtd_prq_refuse(unit, req, prm, "PASID out of range");
		return;
	}
	if (!(req->qw[1] & (VTD_PRQ_RD | VTD_PRQ_WR))) {
		vtd_prq_refuse(unit, req, prm, "neither read nor write");
		return;
	}

	/*
	 * On error the core has answered the request if it needed it.  It
	 * answers only a group's last request; one with private data that
	 * is not the last (VT-d 3.x) is answered here, with LPIG clear and
	 * its private data: "success" once the core holds it for its
	 * group, "invalid" if it did not take it.  The group's own answer
	 * follows with its last request's.
	 */
	if (unit->prq.report(vdev->dev, &evt)) {
		atomic64_inc(&unit->prq.stats.refused);
		code = IOMMU_PAGE_RESP_INVALID;
	} else {
		atomic64_inc(&unit->prq.stats.reported);
		code = IOMMU_PAGE_RESP_SUCCESS;
	}
	if ((req->qw[0] & VTD_PRQ_PDP) && !(req->qw[1] & VTD_PRQ_LPIG))
		vtd_prq_answer(unit, req, prm, code);
}

/*
 * Groups the core collected in part may never see their last request:
 * drop them.  prq->lock held, no request of the unit is being reported.
 */
static void vtd_prq_discard_partial(struct vtd_prq *prq)
{
	atomic64_inc(&prq->stats.discards);
	if (prq->iopfq)
		iopf_queue_discard_partial(prq->iopfq);
}

/* One pass over the queue.  prq->lock held. */
static void __vtd_prq_service(struct vtd_unit *unit)
{
	struct vtd_prq *prq = &unit->prq;
	u64 mask = vtd_prq_mask(prq);
	u64 head, tail;

	/*
	 * The queue was restarted empty (resume): the requests of groups
	 * begun before are lost, and their last will not come.  Discarded
	 * here, as vtd_prq_hw_start() may run with interrupts off.
	 */
	if (READ_ONCE(prq->restarted)) {
		WRITE_ONCE(prq->restarted, false);
		vtd_prq_discard_partial(prq);
	}
	/* A request written after the tail is read sets PPR again. */
	vtd_prq_write(unit, VTD_REG_PRS, VTD_PRS_PPR);
	tail = vtd_prq_read(unit, VTD_REG_PQT) & mask;
	head = vtd_prq_read(unit, VTD_REG_PQH) & mask;
	/* Descriptors up to the tail are in memory before PQT_REG moved. */
	rmb();
	while (head != tail) {
		vtd_prq_handle(unit, &prq->ring[head >> VTD_PRQ_DESC_SHIFT]);
		head = (head + BIT(VTD_PRQ_DESC_SHIFT)) & mask;
	}
	vtd_prq_write(unit, VTD_REG_PQH, tail);

	if (!(vtd_prq_read(unit, VTD_REG_PRS) & VTD_PRS_PRO))
		return;
	/* Clear the overflow only once nothing is left to read. */
	head = vtd_prq_read(unit, VTD_REG_PQH) & mask;
	tail = vtd_prq_read(unit, VTD_REG_PQT) & mask;
	if (head != tail)
		return;
	atomic64_inc(&prq->stats.overflows);
	pr_warn_ratelimited("%s: page request queue overflowed; the unit answered requests itself\n",
			    unit->name);
	vtd_prq_discard_partial(prq);
	vtd_prq_write(unit, VTD_REG_PRS, VTD_PRS_PRO);
}

/**
 * vtd_prq_service() - read and handle what the page request queue holds
 * @unit: a unit with a page request queue
 *
 * Context: process, may sleep.
 */
void vtd_prq_service(struct vtd_unit *unit)
{
	mutex_lock(&unit->prq.lock);
	__vtd_prq_service(unit);
	mutex_unlock(&unit->prq.lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_service);

static void vtd_prq_work(struct work_struct *work)
{
	struct vtd_prq *prq = container_of(to_delayed_work(work),
					   struct vtd_prq, work);
	struct vtd_unit *unit = container_of(prq, struct vtd_unit, prq);

	mutex_lock(&prq->lock);
	__vtd_prq_service(unit);
	if (prq->users)
		queue_delayed_work(system_freezable_wq, &prq->work,
				   msecs_to_jiffies(VTD_PRQ_POLL_MS));
	mutex_unlock(&prq->lock);
}

/**
 * vtd_prq_init() - allocate a unit's page request queue
 * @unit: a unit with ECAP.PRS whose invalidation queue is set up
 * @order: the queue is 2^@order pages
 *
 * The unit is not touched: vtd_prq_hw_start() programs it.  The IOMMU
 * core's fault queue is allocated unless @unit->prq.report was set
 * before (a KUnit test's recorder, for which no device is on any queue).
 *
 * Return: 0 or -ENOMEM.
 */
int vtd_prq_init(struct vtd_unit *unit, unsigned int order)
{
	struct vtd_prq *prq = &unit->prq;

	mutex_init(&prq->lock);
	INIT_DELAYED_WORK(&prq->work, vtd_prq_work);
	prq->users = 0;
	prq->order = order;
	prq->size = (PAGE_SIZE << order) >> VTD_PRQ_DESC_SHIFT;
	prq->ring = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, order);
	if (!prq->ring)
		return -ENOMEM;
	if (!prq->report) {
		snprintf(prq->name, sizeof(prq->name), "%s-iopfq", unit->name);
		prq->iopfq = iopf_queue_alloc(prq->name);
		if (!prq->iopfq) {
			free_pages((unsigned long)prq->ring, order);
			prq->ring = NULL;
			return -ENOMEM;
		}
		prq->report = iommu_report_device_fault;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_init);

/**
 * vtd_prq_hw_start() - point the unit at its page request queue
 * @unit: the unit; nothing may be pending in the queue
 *
 * The queue starts empty, the event interrupt stays masked (polled) and
 * stale status is cleared.  Requests of groups begun before (suspend)
 * are gone: the next pass over the queue discards the IOMMU core's
 * partial groups before it reads the queue.
 *
 * Context: any (also syscore resume, interrupts off).
 */
void vtd_prq_hw_start(struct vtd_unit *unit)
{
	struct vtd_prq *prq = &unit->prq;

	if (!prq->ring)
		return;
	vtd_prq_write(unit, VTD_REG_PECTL, VTD_PECTL_IM);
	vtd_prq_write(unit, VTD_REG_PQH, 0);
	vtd_prq_write(unit, VTD_REG_PQT, 0);
	vtd_prq_write(unit, VTD_REG_PQA,
		      (virt_to_phys(prq->ring) & VTD_PQA_ADDR) |
		      FIELD_PREP(VTD_PQA_PQS, prq->order));
	vtd_prq_write(unit, VTD_REG_PRS, VTD_PRS_PPR | VTD_PRS_PRO);
	WRITE_ONCE(prq->restarted, true);
	prq->hw_on = true;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_hw_start);

/**
 * vtd_prq_hw_stop() - take the page request queue away from the unit
 * @unit: the unit
 *
 * Context: any.
 */
void vtd_prq_hw_stop(struct vtd_unit *unit)
{
	if (!unit->prq.ring)
		return;
	vtd_prq_write(unit, VTD_REG_PQA, 0);
	vtd_prq_write(unit, VTD_REG_PQH, 0);
	vtd_prq_write(unit, VTD_REG_PQT, 0);
	unit->prq.hw_on = false;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_hw_stop);

/**
 * vtd_prq_destroy() - stop polling, answer what is left, free the queue
 * @unit: the unit; no device has IOPF enabled any more
 *
 * What is left is read only while the unit uses the queue (the queued
 * invalidation the answers need is on then too).
 *
 * Context: process, may sleep.
 */
void vtd_prq_destroy(struct vtd_unit *unit)
{
	struct vtd_prq *prq = &unit->prq;

	if (!prq->ring)
		return;
	WARN_ON(prq->users);
	cancel_delayed_work_sync(&prq->work);
	/* Every device has IOPF off: what is left is answered "invalid". */
	if (prq->hw_on)
		vtd_prq_service(unit);
	vtd_prq_hw_stop(unit);
	if (prq->iopfq)
		iopf_queue_free(prq->iopfq);
	prq->iopfq = NULL;
	prq->report = NULL;
	free_pages((unsigned long)prq->ring, prq->order);
	prq->ring = NULL;
	mutex_destroy(&prq->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_destroy);

/**
 * vtd_prq_dev_start() - report a device's page requests from now on
 * @vdev: the device, on a unit with a page request queue
 *
 * Starts polling the queue if no other device of the unit did.
 *
 * Return: 0, or -EBUSY if they are reported already.
 */
int vtd_prq_dev_start(struct vtd_dev *vdev)
{
	struct vtd_prq *prq = &vdev->unit->prq;
	int ret = 0;

	mutex_lock(&prq->lock);
	if (vdev->iopf) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(vdev->iopf, true);
		if (!prq->users++)
			queue_delayed_work(system_freezable_wq, &prq->work,
					   msecs_to_jiffies(VTD_PRQ_POLL_MS));
	}
	mutex_unlock(&prq->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_dev_start);

/*
 * Have the unit write out the page requests it has received: a fenced
 * invalidation wait with page-request drain completes only once they are
 * in the queue (without ECAP.PDS, a plain fenced wait is all there is).
 */
static int vtd_prq_drain_hw(struct vtd_unit *unit)
{
	u64 pd = unit->ecap & VTD_ECAP_PDS ? VTD_QI_WAIT_PD : 0;

	return vtd_qi_submit_raw(&unit->qi, NULL, 0, pd);
}

/*
 * Read the queue until the unit has written out every request it took:
 * drain, pass, and again while an overflow may have hidden some.
 * prq->lock held.
 */
static void __vtd_prq_drain(struct vtd_unit *unit)
{
	unsigned int i;

	for (i = 0; i < VTD_PRQ_DRAIN_TRIES; i++) {
		if (vtd_prq_drain_hw(unit))
			pr_err_ratelimited("%s: page request drain failed\n",
					   unit->name);
		__vtd_prq_service(unit);
		if (!(vtd_prq_read(unit, VTD_REG_PRS) & VTD_PRS_PRO))
			break;
	}
}

/**
 * vtd_prq_drain_pasid() - hand a PASID's page requests to the IOMMU core
 * @vdev: the device
 * @pasid: the PASID whose entry was just taken down or replaced
 *
 * For a device with IOPF on: the requests the unit took for @pasid while
 * the old entry was in place, in the unit or in the queue, are read and
 * reported (or answered) before this returns, so that none is reported
 * after the caller's detach or replace returned.  The whole queue is
 * drained: the unit drains all of it at once.  For a device without IOPF
 * this does nothing.
 *
 * Context: process, may sleep; the caller holds no PASID entry lock.
 */
void vtd_prq_drain_pasid(struct vtd_dev *vdev, u32 pasid)
{
	struct vtd_prq *prq = &vdev->unit->prq;

	if (!READ_ONCE(vdev->iopf))
		return;
	mutex_lock(&prq->lock);
	if (vdev->iopf)
		__vtd_prq_drain(vdev->unit);
	mutex_unlock(&prq->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_drain_pasid);

/**
 * vtd_prq_dev_stop() - stop reporting a device's page requests, drained
 * @vdev: the device
 *
 * Its requests still in the queue, or still in the unit, are answered
 * "invalid" before this returns; requests of other devices read on the
 * way are reported as usual.  Polling stops with the last device.
 *
 * Context: process, may sleep.
 */
void vtd_prq_dev_stop(struct vtd_dev *vdev)
{
	struct vtd_unit *unit = vdev->unit;
	struct vtd_prq *prq = &unit->prq;

	mutex_lock(&prq->lock);
	if (!vdev->iopf) {
		mutex_unlock(&prq->lock);
		return;
	}
	WRITE_ONCE(vdev->iopf, false);
	__vtd_prq_drain(unit);
	prq->users--;
	mutex_unlock(&prq->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_dev_stop);

/**
 * vtd_prq_dev_release() - a device leaves its unit
 * @vdev: the device, no longer in &vtd_unit.devices
 *
 * Waits for a pass that may have found the device before it left, so
 * that @vdev can be freed.
 *
 * Context: process, may sleep.
 */
void vtd_prq_dev_release(struct vtd_dev *vdev)
{
	struct vtd_prq *prq = &vdev->unit->prq;

	if (!prq->ring)
		return;
	mutex_lock(&prq->lock);
	mutex_unlock(&prq->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_dev_release);

/*
 * The PCI core's PRI enable and reset are not exported to modules: the
 * capability is programmed here, and the pci_dev's record of it kept as
 * the core keeps it (pci_disable_pri() and the PRI restore after a reset
 * read it).
 */
static int vtd_pri_enable(struct pci_dev *pdev, u32 reqs)
{
	int pri = pdev->pri_cap;
	u32 max_reqs;
	u16 status;

	if (!pri || pdev->pri_enabled)
		return -EINVAL;
	/* Reset, then enable only once the interface says it stopped. */
	pci_write_config_word(pdev, pri + PCI_PRI_CTRL, PCI_PRI_CTRL_RESET);
	pci_read_config_word(pdev, pri + PCI_PRI_STATUS, &status);
	if (!(status & PCI_PRI_STATUS_STOPPED))
		return -EBUSY;
	pci_read_config_dword(pdev, pri + PCI_PRI_MAX_REQ, &max_reqs);
	reqs = min(reqs, max_reqs);
	pci_write_config_dword(pdev, pri + PCI_PRI_ALLOC_REQ, reqs);
	pdev->pri_reqs_alloc = reqs;
	pci_write_config_word(pdev, pri + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE);
	pdev->pri_enabled = 1;
	return 0;
}

/**
 * vtd_prq_enable_iopf() - IOMMU_DEV_FEAT_IOPF: report a device's page
 *			   requests to the IOMMU core
 * @dev: the device
 *
 * Needs a unit with ECAP.PRS, a PCI device (not a virtual function) with
 * the PRI capability and ATS enabled by vtd_sm at probe (ats.c), as the
 * specification asks of a device that sends page requests: its device
 * TLB then gets the invalidations of what it translated, and the batch
 * that takes a PASID entry down invalidates it before the drain of
 * vtd_prq_drain_pasid().
 *
 * Return: 0; -ENODEV without the capabilities, -EBUSY if enabled already,
 * -EINVAL for a device with PASIDs enabled whose PRI does not expect the
 * PASID in PRG responses, or the error of the context entries or the
 * PCI core.
 */
int vtd_prq_enable_iopf(struct device *dev)
{
	struct vtd_dev *vdev = dev_iommu_priv_get(dev);
	struct pci_dev *pdev;
	struct vtd_unit *unit;
	int ret;

	if (!dev_is_pci(dev) || !vdev)
		return -ENODEV;
	unit = vdev->unit;
	pdev = to_pci_dev(dev);
	if (!unit->prq.ring || !(unit->ecap & VTD_ECAP_DT) || pdev->is_virtfn ||
	    !pci_pri_supported(pdev) || !READ_ONCE(vdev->ats_enabled))
		return -ENODEV;
	if (vdev->iopf)
		return -EBUSY;
	/* Responses to requests with PASID carry it: the device must expect it. */
	if (pdev->pasid_enabled && !pdev->pasid_required)
		return -EINVAL;

	ret = iopf_queue_add_device(unit->prq.iopfq, dev);
	if (ret)
		return ret;
	ret = vtd_prq_dev_start(vdev);
	if (ret)
		goto err_remove;
	/* On failure too: the flag is set, and entries may have PRE. */
	ret = vtd_ctx_set_pre(vdev, true);
	if (ret)
		goto err_pre;
	ret = vtd_pri_enable(pdev, unit->prq.size);
	if (ret)
		goto err_pre;
	vdev->pri = true;
	return 0;

err_pre:
	vtd_ctx_set_pre(vdev, false);
	vtd_prq_dev_stop(vdev);
err_remove:
	iopf_queue_remove_device(unit->prq.iopfq, dev);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_enable_iopf);

/**
 * vtd_prq_disable_iopf() - undo vtd_prq_enable_iopf()
 * @dev: the device; its DMA and PASIDs are stopped
 *
 * The unit stops taking the device's page requests (context entry),
 * those it took are drained and answered, then the IOMMU core answers the
 * groups it holds, and PRI goes off on the device.
 *
 * Return: 0, or -EINVAL if IOPF is not enabled.
 */
int vtd_prq_disable_iopf(struct device *dev)
{
	struct vtd_dev *vdev = dev_iommu_priv_get(dev);

	if (!vdev || !vdev->pri)
		return -EINVAL;
	vtd_ctx_set_pre(vdev, false);
	vtd_prq_dev_stop(vdev);
	iopf_queue_remove_device(vdev->unit->prq.iopfq, dev);
	pci_disable_pri(to_pci_dev(dev));
	vdev->pri = false;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_prq_disable_iopf);

/**
 * vtd_prq_page_response() - &iommu_ops.page_response
 * @dev: the device
 * @evt: the last request of the group, as reported
 * @msg: the answer
 */
void vtd_prq_page_response(struct device *dev, struct iopf_fault *evt,
			   struct iommu_page_response *msg)
{
	struct vtd_dev *vdev = dev_iommu_priv_get(dev);

	if (vtd_prq_respond(vdev->unit, vdev->sid, &evt->fault.prm, msg->code))
		dev_err_ratelimited(dev, "page group response %u not sent\n",
				    evt->fault.prm.grpid);
}
