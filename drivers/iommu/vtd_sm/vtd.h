/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd_sm internals shared between its files: remapping units, the devices
 * behind them, and the entry points of each part of the driver.
 */
#ifndef _VTD_SM_VTD_H
#define _VTD_SM_VTD_H

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "qi.h"
#include "vcmd.h"

struct acpi_dmar_hardware_unit;
struct dentry;
struct pci_dev;
struct platform_device;

/* Domain id of the identity domain on every unit; 0 stays unused. */
#define VTD_DID_IDENTITY	1

/**
 * struct vtd_fault_stats - faults a unit reported
 * @records: fault records read
 * @overflows: times the unit said it lost records (PFO)
 * @last_lock: protects @last_lo and @last_hi
 * @last_lo: low half of the last record read (0: none yet)
 * @last_hi: high half of the last record read
 */
struct vtd_fault_stats {
	atomic64_t records;
	atomic64_t overflows;
	spinlock_t last_lock;	/* @last_lo, @last_hi */
	u64 last_lo;
	u64 last_hi;
};

/**
 * struct vtd_unit - one DMA remapping hardware unit (DRHD)
 * @node: in the global unit list
 * @index: position in the DMAR table, names the unit ("dmar<index>")
 * @name: "dmar<index>"
 * @segment: PCI segment the unit serves
 * @include_all: the unit serves every device of @segment no other unit has
 * @scope: copy of the DRHD's device scope entries
 * @scope_len: bytes in @scope
 * @reg_phys: register base address
 * @reg_size: mapped length
 * @regs: mapped registers
 * @cap: capability register
 * @ecap: extended capability register
 * @gcmd: commands this driver has set in GCMD_REG (TE, QIE)
 * @qi: invalidation queue
 * @ctx_lock: protects @root and @ctx
 * @root: root table (256 entries of 128 bits)
 * @ctx: context tables, two per bus (devfn 0-127, 128-255)
 * @domain_ids: allocator of domain ids
 * @devices: probed devices, by source-id
 * @iommu: handle of the unit in the IOMMU core
 * @iommu_registered: @iommu is registered with the core
 * @pdev: platform device that represents the unit
 * @fault_work: polls the fault recording registers
 * @faults: fault counters
 * @debugfs: the unit's debugfs directory
 */
struct vtd_unit {
	struct list_head node;
	unsigned int index;
	char name[16];
	u16 segment;
	bool include_all;
	void *scope;
	unsigned int scope_len;
	phys_addr_t reg_phys;
	size_t reg_size;
	void __iomem *regs;
	u64 cap;
	u64 ecap;
	u32 gcmd;
	struct vtd_qi qi;
	spinlock_t ctx_lock;	/* root and context tables */
	u64 *root;
	u64 *ctx[512];
	struct ida domain_ids;
	struct xarray devices;
	struct iommu_device iommu;
	bool iommu_registered;
	struct platform_device *pdev;
	struct delayed_work fault_work;
	struct vtd_fault_stats faults;
	struct dentry *debugfs;
	struct vtd_vcmd vcmd;
	bool vcmd_registered;
};

/**
 * struct vtd_dev - a device behind a unit
 * @dev: the device
 * @unit: its unit
 * @bus: bus number
 * @devfn: device and function
 * @sid: source-id (@bus << 8 | @devfn)
 * @max_pasids: PASIDs the device may use (1: only the RID)
 * @pasid_dir: PASID directory, @dir_entries entries of 64 bits
 * @dir_entries: number of directory entries (a power of two, >= 128)
 * @pasid_lock: serializes changes to the PASID table entries
 * @domain: domain attached to the RID (RID_PASID entry)
 */
struct vtd_dev {
	struct device *dev;
	struct vtd_unit *unit;
	u8 bus;
	u8 devfn;
	u16 sid;
	u32 max_pasids;
	u64 *pasid_dir;
	unsigned int dir_entries;
	struct mutex pasid_lock;	/* PASID entries of the device */
	struct iommu_domain *domain;
};

/* dmar.c */
extern struct list_head vtd_units;
int vtd_dmar_probe(void);
void vtd_dmar_release(void);
struct vtd_unit *vtd_unit_for_pci(struct pci_dev *pdev);

/* unit.c */
int vtd_unit_enable(struct vtd_unit *unit);
void vtd_unit_disable(struct vtd_unit *unit);
int vtd_unit_enable_translation(struct vtd_unit *unit);
void vtd_unit_disable_translation(struct vtd_unit *unit);

/* context.c */
int vtd_ctx_tables_alloc(struct vtd_unit *unit);
void vtd_ctx_tables_free(struct vtd_unit *unit);
int vtd_ctx_pasid_dir_alloc(struct vtd_dev *vdev);
void vtd_ctx_pasid_dir_free(struct vtd_dev *vdev);
int vtd_ctx_install(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b);
void vtd_ctx_remove(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b);
void vtd_struct_flush(struct vtd_unit *unit, void *p, size_t len);
u64 *vtd_ctx_entry(struct vtd_unit *unit, u8 bus, u8 devfn);
struct vtd_pasid_entry;
struct vtd_pasid_entry *vtd_pasid_entry(struct vtd_dev *vdev, u32 pasid,
					bool alloc);
void vtd_ctx_pasid_tables_free(struct vtd_dev *vdev);
u32 vtd_ctx_rid_pasid(struct vtd_dev *vdev);
int vtd_ctx_set_rid_pasid(struct vtd_dev *vdev, u32 pasid);
int vtd_ctx_set_max_pasids(struct vtd_dev *vdev, u32 max_pasids);

/* attach.c */
int vtd_dev_set_pasid_entry(struct vtd_dev *vdev, u32 pasid,
			    const struct vtd_pasid_entry *target);
void vtd_dev_pasid_entry_snapshot(struct vtd_dev *vdev, u32 pasid,
				  struct vtd_pasid_entry *out);

/* fault.c */
void vtd_fault_start(struct vtd_unit *unit);
void vtd_fault_stop(struct vtd_unit *unit);
void vtd_fault_sync(struct vtd_unit *unit);
bool vtd_fault_last(struct vtd_unit *unit, u64 *lo, u64 *hi);

/* iommu.c */
int vtd_iommu_driver_register(void);
void vtd_iommu_driver_unregister(void);
bool vtd_dev_is_identity(struct vtd_dev *vdev);

/* debugfs.c */
void vtd_debugfs_init(void);
void vtd_debugfs_add_unit(struct vtd_unit *unit);
void vtd_debugfs_remove_unit(struct vtd_unit *unit);
void vtd_debugfs_exit(void);

/* debug.c */
struct vtd_sm_fault_info;
struct vtd_walk_result;
void vtd_debug_add_unit(struct vtd_unit *unit, struct dentry *root);
void vtd_debug_remove_unit(struct vtd_unit *unit);
void vtd_debug_fault_info(struct vtd_unit *unit, struct vtd_sm_fault_info *info);
int vtd_debug_walk(struct vtd_unit *unit, u16 sid, u32 pasid, u64 addr,
		   unsigned int access, struct vtd_walk_result *res);

#endif /* _VTD_SM_VTD_H */
