/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debug interface of vtd_sm for in-kernel test modules (symbol namespace
 * VTD_SM_DEBUG).  The knobs change how the unit translates a device's DMA
 * in ways no production user wants, so they taint the kernel; the fault
 * record and the translation query only read.  The same operations are
 * offered in debugfs: see Documentation/driver-api/vtd_sm-debug.rst.
 */
#ifndef _VTD_SM_DEBUG_H
#define _VTD_SM_DEBUG_H

#include <linux/types.h>

struct device;
struct vtd_walk_result;

/**
 * struct vtd_sm_fault_info - the faults a remapping unit recorded
 * @count: fault records read from the unit since it was enabled
 * @overflows: times the unit reported that it lost records
 * @valid: the fields below describe a record (@count > 0)
 * @sid: source-id of the last record (bus << 8 | devfn)
 * @pasid_present: the faulting request carried a PASID
 * @pasid: that PASID (0 when !@pasid_present)
 * @addr: faulting address, 4 KiB granular (the unit drops bits 11:0)
 * @reason: VT-d fault reason code
 * @write: the request was a write (else a read)
 */
struct vtd_sm_fault_info {
	u64 count;
	u64 overflows;
	bool valid;
	u16 sid;
	bool pasid_present;
	u32 pasid;
	u64 addr;
	u8 reason;
	bool write;
};

/**
 * struct vtd_sm_update_counts - PASID entry updates a remapping unit made
 * @hitless: switched with one 128-bit store, or made not present with a
 *	     store that clears P alone
 * @hitless_seq: bits the old entry ignores written first, then one
 *		 128-bit store
 * @teardown: through not present: DMA on the PASID blocked in between
 */
struct vtd_sm_update_counts {
	u64 hitless;
	u64 hitless_seq;
	u64 teardown;
};

int vtd_sm_debug_set_rid_pasid(struct device *dev, u32 pasid);
int vtd_sm_debug_set_pasid_bits(struct device *dev, unsigned int bits);
int vtd_sm_debug_faults(struct device *dev, struct vtd_sm_fault_info *info);
int vtd_sm_debug_translate(struct device *dev, u32 pasid, u64 addr,
			   unsigned int access, struct vtd_walk_result *res);
int vtd_sm_debug_unit_regs(struct device *dev, u64 *cap, u64 *ecap);
int vtd_sm_debug_updates(struct device *dev,
			 struct vtd_sm_update_counts *counts);

#endif /* _VTD_SM_DEBUG_H */
