// SPDX-License-Identifier: GPL-2.0
/*
 * Installing a PASID table entry on a device: the write (hitless or a
 * teardown, as the entry writer of pasid_entry.c decides; the unit counts
 * each kind) and the invalidations that make the unit forget the old entry,
 * issued as one batch.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/pci.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

struct vtd_pe_update {
	struct vtd_pasid_writer w;
	struct vtd_dev *vdev;
	struct vtd_pasid_entry *pe;
	u32 pasid;
	bool old_present;
	bool old_flushed;
	bool cc_pending;
	bool target_present;
	unsigned int old_pgtt;
	unsigned int target_pgtt;
	u16 old_did;
	u16 new_did;
};

/*
 * PASID-cache invalidations at a fence that is not a take-down: every
 * domain id the entry was cached as since the last fence, the old one
 * while it was present and the new one once the entry carries it.
 */
static void vtd_pe_add_pc(struct vtd_qi_batch *b, struct vtd_pe_update *u)
{
	if (u->old_present)
		vtd_qi_add_pc_pasid(b, u->old_did, u->pasid);
	if (!u->old_present || u->new_did != u->old_did)
		vtd_qi_add_pc_pasid(b, u->new_did, u->pasid);
}

/*
 * The IOTLB invalidation that goes with a change of a PASID entry whose
 * translation type is @pgtt, as the VT-d specification's guidance for
 * PASID-table entries has it (6.5.3.3): a PASID-based IOTLB invalidation
 * of (@did, @pasid) for first-level and pass-through entries, whose
 * translations the unit tags with the PASID; a domain-selective IOTLB
 * invalidation of @did for second-level and nested entries, whose walks
 * go through second-level structures cached under the domain id alone.
 * Either one also drops the paging-structure caches of the walks.
 */
static void vtd_pe_add_iotlb(struct vtd_qi_batch *b, unsigned int pgtt,
			     u16 did, u32 pasid)
{
	if (pgtt == VTD_PGTT_FL || pgtt == VTD_PGTT_PT)
		vtd_qi_add_piotlb_pasid(b, did, pasid);
	else
		vtd_qi_add_iotlb_domain(b, did);
}

/*
 * Translations cached through the old entry, tagged with its domain id (see
 * vtd_pe_add_iotlb()).  A device with ATS enabled gets a device-TLB
 * invalidation of the whole address space of the PASID after them (ats.c).
 */
static void vtd_pe_add_old_iotlb(struct vtd_qi_batch *b, struct vtd_pe_update *u)
{
	vtd_pe_add_iotlb(b, u->old_pgtt, u->old_did, u->pasid);
	/* Then what a device with ATS took from the IOTLB: all of it. */
	vtd_ats_add_flush(b, u->vdev, u->pasid, 0, VTD_QI_DEVTLB_ALL);
}

/*
 * Not a specification requirement: the context entry does not change.  QEMU
 * (7.2, 10.0) re-evaluates whether a device uses its pass-through or its
 * translating address space on a context-cache invalidation, not on a
 * PASID-cache one, so the RID's entry moving into or out of pass-through
 * sends one, in the first batch after the entry has the target's
 * pass-through state.
 */
static void vtd_pe_add_cc(struct vtd_qi_batch *b, struct vtd_dev *vdev)
{
	vtd_qi_add_cc_device(b, 0, vdev->sid);
	vtd_ctx_add_cc_aliases(vdev, b);
}

/*
 * A fence of the writer.  Once the old entry has lost its P bit (and only
 * that), the specification's order for taking an entry down applies:
 * PASID cache, then IOTLB (then device TLB), before the rest of the entry
 * is rewritten.  The entry still carries the old domain id then, and the
 * unit cannot have cached it under any other: the take-down fence
 * invalidates the old id only.
 */
static int vtd_pe_sync(struct vtd_pasid_writer *w)
{
	struct vtd_pe_update *u = container_of(w, struct vtd_pe_update, w);
	struct vtd_unit *unit = u->vdev->unit;
	bool take_down = u->old_present && !u->old_flushed &&
			 !vtd_pasid_entry_present(u->pe);
	struct vtd_qi_batch b;
	int ret;

	vtd_struct_flush(unit, u->pe, sizeof(*u->pe));
	vtd_qi_batch_begin(&b, &unit->qi);
	if (take_down) {
		vtd_qi_add_pc_pasid(&b, u->old_did, u->pasid);
		vtd_pe_add_old_iotlb(&b, u);
		/* Not present now and at the end: no longer pass-through. */
		if (u->cc_pending && !u->target_present) {
			vtd_pe_add_cc(&b, u->vdev);
			u->cc_pending = false;
		}
	} else {
		vtd_pe_add_pc(&b, u);
	}
	ret = vtd_qi_submit(&b);
	if (!ret && take_down)
		u->old_flushed = true;
	return ret;
}

/* Caching mode: the new domain id's IOTLB; see vtd_pe_add_final(). */
static void vtd_pe_add_cm_new(struct vtd_qi_batch *b, struct vtd_pe_update *u)
{
	if (!(u->vdev->unit->cap & VTD_CAP_CM) || !u->target_present ||
	    u->target_pgtt == VTD_PGTT_PT ||
	    (u->old_present && u->new_did == u->old_did))
		return;
	vtd_pe_add_iotlb(b, u->target_pgtt, u->new_did, u->pasid);
}

/*
 * The invalidations after the writer's last store: what the VT-d
 * specification asks for once a PASID entry changed, and nothing more.
 *
 * - The old entry, if present and not already taken down at a fence: the
 *   PASID cache and the IOTLB of its domain id.
 * - In caching mode, an entry that was not present just before it became
 *   the target (an attach, or the last store of a teardown), or a
 *   not-present entry that changed: the PASID cache of the target's
 *   domain id, so that the unit, which may cache not-present entries,
 *   fetches it again.  A unit without caching mode never caches a
 *   not-present entry: nothing.
 * - In caching mode, an entry that becomes present or takes another
 *   domain id, other than pass-through: the IOTLB of the new domain id
 *   too, PASID-based for first-level entries, domain-selective for
 *   second-level and nested ones (vtd_pe_add_iotlb()).  Caching mode
 *   means a virtual unit that may cache not-present results and that
 *   learns of new translations only from IOTLB invalidations: QEMU
 *   synchronises the mappings it shadows for an assigned device on an
 *   IOTLB invalidation of the domain id the device's entry carries now,
 *   so without this one a RID moved from one domain to another would
 *   keep the old domain's shadow mappings.  A unit without caching mode
 *   caches nothing for a domain id that no present entry carried, so it
 *   gets none.
 *
 * A present entry taken down to not present at a fence needs nothing more:
 * the rest of a not-present entry is never used.  The batch stays empty
 * then (but for the RID's context cache, see vtd_pe_add_cc()).
 */
static void vtd_pe_add_final(struct vtd_qi_batch *b, struct vtd_pe_update *u,
			     bool teardown)
{
	bool pc_old = u->old_present && !u->old_flushed;
	/*
	 * The entry was not present (or, in a teardown, went through not
	 * present): only a unit in caching mode may have cached it so (6.1).
	 */
	bool pc_new = (u->vdev->unit->cap & VTD_CAP_CM) &&
		      (!u->old_present || (teardown && u->target_present));

	if (pc_old) {
		vtd_qi_add_pc_pasid(b, u->old_did, u->pasid);
		vtd_pe_add_old_iotlb(b, u);
	}
	if (pc_new && !(pc_old && u->new_did == u->old_did))
		vtd_qi_add_pc_pasid(b, u->new_did, u->pasid);
	vtd_pe_add_cm_new(b, u);
}

static const struct vtd_pasid_writer_ops vtd_pe_writer_ops = {
	.sync = vtd_pe_sync,
};

/*
 * An invalidation of the update failed: the unit may still hold the old
 * entry, the new one, or translations through either.  Leave the entry not
 * present and ask, once more, for everything it could have cached of it.
 */
static void vtd_pe_fail(struct vtd_pe_update *u)
{
	struct vtd_unit *unit = u->vdev->unit;
	struct vtd_qi_batch b;

	vtd_pasid_clear_present(&u->w, u->pe);
	vtd_struct_flush(unit, u->pe, sizeof(*u->pe));
	vtd_qi_batch_begin(&b, &unit->qi);
	if (u->pasid == 0) {
		vtd_qi_add_cc_device(&b, 0, u->vdev->sid);
		vtd_ctx_add_cc_aliases(u->vdev, &b);
	}
	vtd_qi_add_pc_global(&b);
	vtd_qi_add_iotlb_global(&b);
	vtd_ats_add_flush(&b, u->vdev, u->pasid, 0, VTD_QI_DEVTLB_ALL);
	if (vtd_qi_submit(&b))
		dev_err(u->vdev->dev, "%s: PASID %u: invalidation failed again, the unit may still use the entry\n",
			unit->name, u->pasid);
}

/**
 * __vtd_dev_set_pasid_entry() - vtd_dev_set_pasid_entry(), telling whether
 *				 the unit may have seen a change
 * @vdev: the device
 * @pasid: the PASID
 * @target: the entry to install
 * @dirty: set to true if the call failed after the entry was written (the
 *	unit may hold the old or the new configuration), else false
 *
 * Return: as vtd_dev_set_pasid_entry().
 */
int __vtd_dev_set_pasid_entry(struct vtd_dev *vdev, u32 pasid,
			      const struct vtd_pasid_entry *target, bool *dirty)
{
	struct vtd_unit *unit = vdev->unit;
	struct vtd_pe_update u = {
		.w.ops = &vtd_pe_writer_ops,
		.vdev = vdev,
		.pasid = pasid,
		.new_did = vtd_pasid_entry_did(target),
	};
	/*
	 * A PASID without a table reads as not present: an all-zero target
	 * (blocked, without FPD) is there already and needs no table.
	 */
	bool need_table = memchr_inv(target, 0, sizeof(*target));
	enum vtd_pasid_update kind;
	struct vtd_qi_batch b;
	int ret;

	*dirty = false;
	mutex_lock(&vdev->pasid_lock);
	/* The pasid_bits knob changes the count under the same mutex. */
	if (pasid >= vdev->max_pasids) {
		mutex_unlock(&vdev->pasid_lock);
		return -ERANGE;
	}
	/* A releasing unit keeps every device on pass-through (iommu.c). */
	if (READ_ONCE(unit->releasing) &&
	    vtd_pasid_entry_pgtt(target) != VTD_PGTT_PT) {
		mutex_unlock(&vdev->pasid_lock);
		return -ENODEV;
	}
	u.pe = vtd_pasid_entry(vdev, pasid, need_table);
	if (!u.pe) {
		mutex_unlock(&vdev->pasid_lock);
		return need_table ? -ENOMEM : 0;
	}
	u.old_present = vtd_pasid_entry_present(u.pe);
	u.old_pgtt = vtd_pasid_entry_pgtt(u.pe);
	u.old_did = vtd_pasid_entry_did(u.pe);
	u.target_present = vtd_pasid_entry_present(target);
	u.target_pgtt = vtd_pasid_entry_pgtt(target);
	u.cc_pending = pasid == 0 &&
		       (u.old_pgtt == VTD_PGTT_PT) !=
		       (vtd_pasid_entry_pgtt(target) == VTD_PGTT_PT);

	kind = vtd_pasid_write_entry(&u.w, u.pe, target);
	if (kind == VTD_PASID_UPDATE_NONE) {
		mutex_unlock(&vdev->pasid_lock);
		return 0;
	}
	atomic64_inc(&unit->pasid_updates[kind]);
	ret = u.w.err;
	if (!ret) {
		vtd_struct_flush(unit, u.pe, sizeof(*u.pe));
		vtd_qi_batch_begin(&b, &unit->qi);
		vtd_pe_add_final(&b, &u, kind == VTD_PASID_UPDATE_TEARDOWN);
		if (u.cc_pending)
			vtd_pe_add_cc(&b, vdev);
		/* A take-down's fence left nothing to invalidate. */
		if (b.n)
			ret = vtd_qi_submit(&b);
	}
	if (ret) {
		*dirty = true;
		vtd_pe_fail(&u);
	}
	/* The entry may have gained or lost P: its table's count follows. */
	vtd_ctx_pasid_entry_account(vdev, pasid, u.pe, u.old_present);
	mutex_unlock(&vdev->pasid_lock);
	/*
	 * Page requests the device sent through the old entry are handed
	 * to the IOMMU core before the detach or replace returns (nothing
	 * for a device without IOPF).
	 */
	if (u.old_present)
		vtd_prq_drain_pasid(vdev, pasid);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(__vtd_dev_set_pasid_entry);

/**
 * vtd_dev_set_pasid_entry() - install a PASID entry and flush the caches
 * @vdev: the device
 * @pasid: the PASID (0 is the RID: context entries use RID_PASID 0)
 * @target: the entry to install, from a vtd_pasid_encode_*() encoder
 *
 * The entry is changed without a window in which DMA on @pasid sees an
 * invalid entry, unless the writer must tear it down (see pasid_entry.h).
 * Afterwards one batch invalidates the PASID cache and the IOTLB entries of
 * the old domain id, or the PASID cache of the new domain id if the entry
 * was not present, and, for the RID moving into or out of pass-through,
 * the device's context-cache entry (QEMU re-evaluates pass-through only
 * there).  A present entry that becomes not present needs no batch after
 * the writer's take-down fence, which invalidated the old domain id.
 *
 * When the old entry was present and the device has IOPF on, the page
 * requests the unit took for @pasid are drained and handed to the IOMMU
 * core before this returns (vtd_prq_drain_pasid()).
 *
 * If an invalidation fails (at a fence of the writer or in the final
 * batch), the entry is left not present, never rolled back: one more batch
 * asks the unit to drop every PASID-cache and IOTLB entry, and the error
 * is returned.
 *
 * Context: process; caller holds no spinlock.  Serialized per device.
 * Return: 0, -ERANGE for a PASID beyond the directory, -ENODEV for an
 * entry other than pass-through on a unit being released, -ENOMEM (these
 * three change nothing), or the error of an invalidation (-EIO,
 * -ETIMEDOUT; the entry is then not present).
 */
int vtd_dev_set_pasid_entry(struct vtd_dev *vdev, u32 pasid,
			    const struct vtd_pasid_entry *target)
{
	bool dirty;

	return __vtd_dev_set_pasid_entry(vdev, pasid, target, &dirty);
}

/**
 * vtd_dev_pasid_entry_snapshot() - copy a device's PASID entry
 * @vdev: the device
 * @pasid: the PASID
 * @out: the copy; all zero (not present) if the entry has no table
 *
 * Context: the caller holds @vdev's pasid_lock or the lock of its unit's
 * devices XArray, under which vtd_ctx_set_max_pasids() replaces the PASID
 * directory and its size (and frees the old one only after both locks
 * and an RCU grace period).
 */
void vtd_dev_pasid_entry_snapshot(struct vtd_dev *vdev, u32 pasid,
				  struct vtd_pasid_entry *out)
{
	struct vtd_pasid_entry *pe = NULL;
	unsigned int i;

	lockdep_assert(lockdep_is_held(&vdev->pasid_lock) ||
		       lockdep_is_held(&vdev->unit->devices.xa_lock));
	if (pasid < vdev->max_pasids)
		pe = vtd_pasid_entry(vdev, pasid, false);
	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++)
		out->val[i] = pe ? READ_ONCE(pe->val[i]) : 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dev_pasid_entry_snapshot);

/* A fence between steps of a SLADE change; see vtd_dev_set_slade(). */
struct vtd_slade_update {
	struct vtd_pasid_writer w;
	struct vtd_dev *vdev;
	struct vtd_pasid_entry *pe;
	u32 pasid;
	u16 did;
};

static int vtd_slade_sync(struct vtd_pasid_writer *w)
{
	struct vtd_slade_update *u = container_of(w, struct vtd_slade_update, w);
	struct vtd_unit *unit = u->vdev->unit;
	struct vtd_qi_batch b;

	vtd_struct_flush(unit, u->pe, sizeof(*u->pe));
	vtd_qi_batch_begin(&b, &unit->qi);
	vtd_qi_add_pc_pasid(&b, u->did, u->pasid);
	return vtd_qi_submit(&b);
}

static const struct vtd_pasid_writer_ops vtd_slade_writer_ops = {
	.sync = vtd_slade_sync,
};

/**
 * vtd_dev_set_slade() - turn SLADE on or off in entries of a device
 * @vdev: the device
 * @pasids: PASIDs of @vdev whose entries may walk the table (0: the RID)
 * @n: number of @pasids
 * @did: the domain id the entries carry (the second-level domain's on
 *	@vdev's unit, which nested entries over it share)
 * @sl_root: physical address of the second-level table
 * @enable: the value SLADE gets
 *
 * Every present second-level or nested entry of @pasids that carries
 * @did and walks @sl_root gets SLADE set to @enable through the entry
 * writer, for which this is one store of the entry's first 128-bit piece
 * (hitless; counted as such).  Entries that hold something else (a
 * concurrent replace already wrote them) are left alone.  Then one batch
 * does what the VT-d specification asks for after a PASID entry changed
 * in place ("Guidance to Software for Invalidations"): a PASID-selective
 * PASID-cache invalidation per entry changed, then one domain-selective
 * IOTLB invalidation of @did, which for second-level and nested entries
 * drops what was cached through them with the old SLADE (a translation
 * cached without it would let writes go by without setting D), and for
 * a device with ATS enabled a device-TLB invalidation of the whole
 * address space of each of @pasids whose entry carries @did and walks
 * @sl_root (a translation the device holds would let its writes go by
 * the table).
 *
 * Context: process; the caller keeps the attachments of the entries from
 * going (the second-level domain's dirty_lock).
 * Return: the number of entries changed, or the error of an invalidation
 * (-EIO, -ETIMEDOUT): the entries changed keep the new SLADE, but the unit
 * may go on using the old one for translations it cached.
 */
int vtd_dev_set_slade(struct vtd_dev *vdev, const u32 *pasids,
		      unsigned int n, u16 did, u64 sl_root, bool enable)
{
	struct vtd_unit *unit = vdev->unit;
	struct vtd_slade_update u = {
		.w.ops = &vtd_slade_writer_ops,
		.vdev = vdev,
		.did = did,
	};
	struct vtd_pasid_entry target;
	enum vtd_pasid_update kind;
	unsigned int i, changed = 0;
	struct vtd_qi_batch b;
	unsigned int pgtt;
	int ret = 0;

	mutex_lock(&vdev->pasid_lock);
	vtd_qi_batch_begin(&b, &unit->qi);
	for (i = 0; i < n; i++) {
		u.pasid = pasids[i];
		if (u.pasid >= vdev->max_pasids)
			continue;
		u.pe = vtd_pasid_entry(vdev, u.pasid, false);
		if (!u.pe)
			continue;
		/*
		 * The live entry, with SLADE as asked, is the target.  PGTT
		 * reads 0 for a not-present entry, so one is left alone and
		 * not invalidated whatever its other fields still hold.
		 */
		vtd_dev_pasid_entry_snapshot(vdev, u.pasid, &target);
		pgtt = vtd_pasid_entry_pgtt(&target);
		if ((pgtt != VTD_PGTT_SL && pgtt != VTD_PGTT_NESTED) ||
		    vtd_pasid_entry_did(&target) != did ||
		    vtd_pasid_entry_sl_root(&target) != sl_root)
			continue;
		vtd_pasid_target_set_slade(&target, enable);
		kind = vtd_pasid_write_entry(&u.w, u.pe, &target);
		if (kind == VTD_PASID_UPDATE_NONE)
			continue;
		atomic64_inc(&unit->pasid_updates[kind]);
		vtd_struct_flush(unit, u.pe, sizeof(*u.pe));
		vtd_qi_add_pc_pasid(&b, did, u.pasid);
		changed++;
		if (u.w.err) {
			/* Not reached: one store changes SLADE, no fence. */
			ret = u.w.err;
			break;
		}
	}
	if (changed) {
		vtd_qi_add_iotlb_domain(&b, did);
		for (i = 0; i < n && vdev->ats_enabled; i++) {
			if (pasids[i] >= vdev->max_pasids)
				continue;
			vtd_dev_pasid_entry_snapshot(vdev, pasids[i], &target);
			pgtt = vtd_pasid_entry_pgtt(&target);
			if ((pgtt == VTD_PGTT_SL || pgtt == VTD_PGTT_NESTED) &&
			    vtd_pasid_entry_did(&target) == did &&
			    vtd_pasid_entry_sl_root(&target) == sl_root)
				vtd_ats_add_flush(&b, vdev, pasids[i], 0,
						  VTD_QI_DEVTLB_ALL);
		}
		if (!ret)
			ret = vtd_qi_submit(&b);
		else
			vtd_qi_submit(&b);
	}
	mutex_unlock(&vdev->pasid_lock);
	return ret ?: changed;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dev_set_slade);
