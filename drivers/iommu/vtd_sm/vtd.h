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

#include "pasid_entry.h"
#include "pgtable.h"
#include "qi.h"
#include "vcmd.h"

struct acpi_dmar_hardware_unit;
struct iommu_hwpt_vtd_s1;
struct iommu_hwpt_vtd_s1_invalidate;
struct dentry;
struct pci_dev;
struct platform_device;
struct shrinker;

/* PASID table entries per PASID directory entry (a 4 KiB table). */
#define VTD_PASID_TABLE_ENTRIES	64

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

struct iopf_fault;
struct iopf_queue;

/**
 * struct vtd_prq_stats - what a page request queue has seen
 * @requests: page request descriptors read
 * @reported: requests handed to the IOMMU core
 * @refused: requests answered at once (unknown device, PASID out of
 *	     range, IOPF off, malformed) or that the core did not take
 * @stop_markers: PASID stop markers, dropped (they need no response)
 * @responses: page group response descriptors submitted
 * @overflows: passes that found the queue had overflowed (PRO)
 * @discards: times the IOMMU core's partial groups of the unit's devices
 *	      were discarded (after an overflow, after a restart)
 */
struct vtd_prq_stats {
	atomic64_t requests;
	atomic64_t reported;
	atomic64_t refused;
	atomic64_t stop_markers;
	atomic64_t responses;
	atomic64_t overflows;
	atomic64_t discards;
};

/**
 * struct vtd_prq - the page request queue of a unit with ECAP.PRS (prq.c)
 * @ring: the queue, @size 256-bit page request descriptors
 * @size: number of descriptors (a power of two)
 * @order: the queue is 2^@order pages (PQA_REG.PQS)
 * @iopfq: the IOMMU core's fault queue of the unit's devices
 * @lock: serializes passes over the queue and @users
 * @users: devices of the unit with IOPF enabled; polled while non-zero
 * @hw_on: the unit was pointed at the queue (vtd_prq_hw_start())
 * @restarted: the queue was (re)started empty; the next pass discards
 *	       the IOMMU core's partial groups first
 * @work: the poll
 * @report: hands a request to the IOMMU core (iommu_report_device_fault(),
 *	    or a KUnit test's recorder)
 * @name: name of @iopfq
 * @stats: counters
 */
struct vtd_prq {
	struct vtd_qi_desc *ring;
	unsigned int size;
	unsigned int order;
	struct iopf_queue *iopfq;
	struct mutex lock;	/* passes, users */
	unsigned int users;
	bool hw_on;
	bool restarted;
	struct delayed_work work;
	int (*report)(struct device *dev, struct iopf_fault *evt);
	char name[24];
	struct vtd_prq_stats stats;
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
 * @enabled: vtd_unit_enable() succeeded and vtd_unit_disable() did not run
 * @suspended_gcmd: @gcmd when the machine went to sleep
 * @qi: invalidation queue
 * @ctx_lock: protects @root and @ctx
 * @root: root table (256 entries of 128 bits)
 * @ctx: context tables, two per bus (devfn 0-127, 128-255)
 * @ctx_users: the devices whose DMA carries a source-id, per source-id
 *	       (context.c)
 * @domain_ids: allocator of domain ids
 * @devices: probed devices, by source-id
 * @iommu: handle of the unit in the IOMMU core
 * @iommu_registered: @iommu is registered with the core
 * @pdev: platform device that represents the unit
 * @fault_work: polls the fault recording registers
 * @faults: fault counters
 * @debugfs: the unit's debugfs directory
 * @releasing: the unit is letting go of its devices: no PASID entry but
 *	       pass-through may be written (see release_store() in iommu.c)
 * @vcmd: virtual command interface (paravirtual PASID allocation)
 * @vcmd_registered: @vcmd is registered as an ioasid allocator
 * @pasid_updates: PASID entry updates the writer made, by kind (enum
 *		   vtd_pasid_update; [VTD_PASID_UPDATE_NONE] stays 0), so
 *		   that tests can tell hitless switches from teardowns
 * @quarantined: entry updates whose invalidation failed; their domain ids
 *		 and tables are never reused (see vtd_dev_attach())
 * @prq: page request queue (@prq.ring NULL: the unit has none)
 * @ats_devices: devices of the unit with ATS enabled; while 0, the
 *	invalidation paths look for no device TLB to invalidate
 * @pt_lock: held by the PASID table shrinker while it goes through
 *	@devices; vtd_release_device() takes a device out of @devices under
 *	it, so the shrinker never uses a device being freed (context.c)
 * @pt_shrinker: gives back PASID tables with no present entry when memory
 *	is short (NULL: the unit has none, its tables go at device release)
 * @pt_live: PASID tables the unit's devices hold
 * @pt_empty: those of @pt_live other than a device's first (PASIDs 0-63)
 *	that have no present entry: what @pt_shrinker may free
 * @pt_reclaimed: PASID tables @pt_shrinker freed
 * @pt_broken: an invalidation batch of @pt_shrinker failed: it frees
 *	nothing more
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
	bool enabled;
	u32 suspended_gcmd;
	struct vtd_qi qi;
	spinlock_t ctx_lock;	/* root and context tables */
	u64 *root;
	u64 *ctx[512];
	struct xarray ctx_users;
	struct ida domain_ids;
	struct xarray devices;
	struct iommu_device iommu;
	bool iommu_registered;
	struct platform_device *pdev;
	struct delayed_work fault_work;
	struct vtd_fault_stats faults;
	struct dentry *debugfs;
	bool releasing;
	struct vtd_vcmd vcmd;
	bool vcmd_registered;
	atomic64_t pasid_updates[VTD_PASID_UPDATE_TEARDOWN + 1];
	atomic_t quarantined;
	struct vtd_prq prq;
	atomic_t ats_devices;
	struct mutex pt_lock;	/* the shrinker's walk of @devices */
	struct shrinker *pt_shrinker;
	atomic_long_t pt_live;
	atomic_long_t pt_empty;
	atomic64_t pt_reclaimed;
	bool pt_broken;
};

/**
 * struct vtd_dev - a device behind a unit
 * @dev: the device
 * @unit: its unit
 * @bus: bus number
 * @devfn: device and function
 * @sid: source-id (@bus << 8 | @devfn)
 * @max_pasids: PASIDs the device may use (1: only the RID)
 * @pci_pasids: PASIDs of the device's own PASID capability, which vtd_sm
 *	enabled at probe; 0 when it is not enabled (the pasid_bits debug knob
 *	can still raise @max_pasids)
 * @pasid_dir: PASID directory, @dir_entries entries of 64 bits
 * @dir_entries: number of directory entries (a power of two, >= 128)
 * @pasid_lock: serializes changes to the PASID table entries
 * @domain: domain attached to the RID (RID_PASID entry)
 * @rid_att: the attachment record of @domain when it is a paging or nested
 *	domain, else NULL
 * @pasid_domains: what is attached to PASIDs other than 0, by PASID: the
 *	&struct vtd_attachment of a paging or nested domain (which names the
 *	domain), or the identity or blocked domain as a pointer tagged with
 *	%VTD_STATIC_DOMAIN_TAG; read with vtd_dev_domain() and
 *	vtd_dev_attachment(); written under @pasid_lock's caller, the group
 *	mutex of the core
 * @iopf: page requests of the device are reported (IOMMU_DEV_FEAT_IOPF);
 *	written under &vtd_prq.lock of @unit
 * @pri: the PCI PRI capability was enabled with @iopf
 * @pre: the context entries of the device have PRE (page request enable)
 *	set; written under the device's PASID lock
 * @ats_supported: the unit, the device and the DMAR table allow ATS: the
 *	context entries have DTE (ats.c; fixed at probe)
 * @ats_enabled: ATS is on in the device: every invalidation of what it
 *	may have translated includes its device TLB (from the end of probe
 *	to release)
 * @ats_qdep: invalidate queue depth of the device's ATS capability
 * @pfsid: source-id of its physical function if the unit has ECAP.DIT,
 *	else 0 (reserved in the descriptors then)
 * @pt_keep: the device's PASID tables are never reclaimed: a PASID
 *	directory the unit may still walk points at them too (see
 *	vtd_ctx_set_max_pasids()); written under @pasid_lock
 */
struct vtd_dev {
	struct device *dev;
	struct vtd_unit *unit;
	u8 bus;
	u8 devfn;
	u16 sid;
	u32 max_pasids;
	u32 pci_pasids;
	u64 *pasid_dir;
	unsigned int dir_entries;
	struct mutex pasid_lock;	/* PASID entries of the device */
	struct iommu_domain *domain;
	struct vtd_attachment *rid_att;
	struct xarray pasid_domains;
	bool iopf;
	bool pri;
	bool pre;
	bool ats_supported;
	bool ats_enabled;
	u8 ats_qdep;
	u16 pfsid;
	bool pt_keep;
};

/* xa_tag_pointer() tag of a static domain in &vtd_dev.pasid_domains */
#define VTD_STATIC_DOMAIN_TAG	1

/**
 * enum vtd_domain_kind - what a vtd_domain translates with
 * @VTD_DOMAIN_SL: a second-level table of its own (paging)
 * @VTD_DOMAIN_FL: a first-level table of its own (paging, units without
 *	second-level translation)
 * @VTD_DOMAIN_NESTED: a guest's first-level table over the second-level
 *	table of its parent
 */
enum vtd_domain_kind {
	VTD_DOMAIN_SL,
	VTD_DOMAIN_FL,
	VTD_DOMAIN_NESTED,
};

/**
 * struct vtd_domain_unit - a unit a domain is live on
 * @node: in &vtd_domain.units
 * @vd: the domain
 * @unit: the unit
 * @did: the domain id the domain has on @unit; a nested domain's is its
 *	parent's
 * @refs: attachments on @unit that use @did (for a nest parent, also the
 *	attachments of its nested domains on @unit)
 * @quarantined: an entry with @did was left behind by a failed
 *	invalidation: @did never goes back to the unit
 */
struct vtd_domain_unit {
	struct list_head node;
	struct vtd_domain *vd;
	struct vtd_unit *unit;
	u16 did;
	unsigned int refs;
	bool quarantined;
};

/**
 * struct vtd_attachment - a (device, PASID) a domain is attached to
 * @node: in &vtd_domain.attachments, which the invalidations walk
 * @du: the domain's id on the device's unit (&vtd_domain_unit.vd names the
 *	domain).  A nested attachment also holds a reference on its parent's
 *	record for that unit (vtd_domain_parent_du()): the id the nested
 *	entry uses, held so that the parent's invalidations reach the unit
 * @pasid: the PASID (0: the RID)
 * @sid: the device's source-id, its index in the unit's &vtd_unit.devices
 *	(for the few walks that need the device: dirty tracking)
 *
 * The device finds its record directly (&vtd_dev.rid_att and
 * &vtd_dev.pasid_domains), so the record needs no device pointer.  Kept
 * to 32 bytes: there is one per attached PASID.
 */
struct vtd_attachment {
	struct list_head node;
	struct vtd_domain_unit *du;
	u32 pasid;
	u16 sid;
};

/**
 * struct vtd_domain - a paging or nested domain of vtd_sm
 * @domain: the IOMMU core's domain
 * @kind: what the domain translates with
 * @alloc_flags: IOMMU_HWPT_ALLOC_* it was allocated with
 * @cap: capability register of the unit it was allocated for
 * @ecap: extended capability register of that unit
 * @pt: the page table (paging domains)
 * @s1: the guest first-level table (nested domains)
 * @parent: the nest parent (nested domains)
 * @nested_node: in the parent's @nested list (nested domains)
 * @nested: nested domains over this one (nest parents)
 * @attach_lock: serializes domain id allocation and release
 * @lock: protects @units, @attachments and @nested; taken by the
 *	invalidation paths, which may run in atomic context
 * @units: &struct vtd_domain_unit, the units the domain is live on
 * @attachments: &struct vtd_attachment, where the domain is attached
 * @quarantined: a unit may still walk the table after a failed
 *	invalidation: table pages are never freed (paging domains)
 * @dirty_lock: of a second-level paging domain: held while its own and
 *	its nested domains' attachments are added (with the entry written)
 *	or removed, and while @dirty_tracking changes, so that every entry
 *	over the table has SLADE as @dirty_tracking says (nested domains
 *	use their parent's); taken only for tables whose domain has
 *	dirty_ops, the only ones whose SLADE ever changes
 * @dirty_tracking: the unit sets dirty flags in the table: SLADE in every
 *	entry that walks it (paging domains with dirty_ops)
 */
struct vtd_domain {
	struct iommu_domain domain;
	enum vtd_domain_kind kind;
	u32 alloc_flags;
	u64 cap;
	u64 ecap;
	struct vtd_pgtable pt;
	struct vtd_pasid_fl_cfg s1;
	struct vtd_domain *parent;
	struct list_head nested_node;
	struct list_head nested;
	struct mutex attach_lock;	/* domain ids */
	spinlock_t lock;		/* units, attachments, nested */
	struct list_head units;
	struct list_head attachments;
	bool quarantined;
	struct mutex dirty_lock;	/* attachments, @dirty_tracking */
	bool dirty_tracking;
};

/* dmar.c */
extern struct list_head vtd_units;
int vtd_dmar_probe(void);
void vtd_dmar_release(void);
struct vtd_unit *vtd_unit_for_pci(struct pci_dev *pdev);
void vtd_dmar_rmrr_regions(struct device *dev, struct list_head *head);
bool vtd_dmar_ats_allowed(struct pci_dev *pdev);
#if IS_ENABLED(CONFIG_KUNIT)
struct acpi_dmar_reserved_memory;
struct vtd_rmrr;
int vtd_dmar_check_scope(const void *scope, unsigned int len);
struct vtd_rmrr *vtd_dmar_add_rmrr(const struct acpi_dmar_reserved_memory *acpi);
void vtd_dmar_remove_rmrr(struct vtd_rmrr *rmrr);
#endif

/* unit.c */
int vtd_unit_enable(struct vtd_unit *unit);
void vtd_unit_disable(struct vtd_unit *unit);
int vtd_unit_enable_translation(struct vtd_unit *unit);
void vtd_unit_disable_translation(struct vtd_unit *unit);
void vtd_unit_suspend(struct vtd_unit *unit);
int vtd_unit_resume(struct vtd_unit *unit);
void vtd_unit_shutdown(struct vtd_unit *unit);

/* context.c */
int vtd_ctx_tables_alloc(struct vtd_unit *unit);
void vtd_ctx_tables_free(struct vtd_unit *unit);
int vtd_ctx_pasid_dir_alloc(struct vtd_dev *vdev);
void vtd_ctx_pasid_dir_free(struct vtd_dev *vdev);
void vtd_ctx_pasid_dir_release(struct vtd_dev *vdev, int err);
int vtd_ctx_install(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b);
void vtd_ctx_remove(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b);
void vtd_struct_flush(struct vtd_unit *unit, void *p, size_t len);
u64 *vtd_ctx_entry(struct vtd_unit *unit, u8 bus, u8 devfn);
struct vtd_pasid_entry;
struct vtd_pasid_entry *vtd_pasid_entry(struct vtd_dev *vdev, u32 pasid,
					bool alloc);
void vtd_ctx_pasid_entry_account(struct vtd_dev *vdev, u32 pasid,
				 struct vtd_pasid_entry *pe, bool was_present);
unsigned long vtd_ctx_pt_count(struct vtd_unit *unit);
unsigned long vtd_ctx_pt_scan(struct vtd_unit *unit, unsigned long nr);
void vtd_ctx_pt_shrinker_add(struct vtd_unit *unit);
void vtd_ctx_pt_shrinker_remove(struct vtd_unit *unit);
u32 vtd_ctx_rid_pasid(struct vtd_dev *vdev);
void vtd_ctx_add_cc_aliases(struct vtd_dev *vdev, struct vtd_qi_batch *b);
int vtd_ctx_set_rid_pasid(struct vtd_dev *vdev, u32 pasid);
int vtd_ctx_set_max_pasids(struct vtd_dev *vdev, u32 max_pasids);
int vtd_ctx_set_pre(struct vtd_dev *vdev, bool on);

/* attach.c */
int vtd_dev_set_pasid_entry(struct vtd_dev *vdev, u32 pasid,
			    const struct vtd_pasid_entry *target);
int __vtd_dev_set_pasid_entry(struct vtd_dev *vdev, u32 pasid,
			      const struct vtd_pasid_entry *target, bool *dirty);
void vtd_dev_pasid_entry_snapshot(struct vtd_dev *vdev, u32 pasid,
				  struct vtd_pasid_entry *out);
int vtd_dev_set_slade(struct vtd_dev *vdev, const u32 *pasids,
		      unsigned int n, u16 did, u64 sl_root, bool enable);

/* domain.c */
extern const struct iommu_domain_ops vtd_paging_ops;
extern const struct iommu_dirty_ops vtd_dirty_ops;
struct vtd_domain *to_vtd_domain(struct iommu_domain *domain);
struct vtd_domain *vtd_domain_alloc(struct vtd_unit *unit, u32 flags);
struct iommu_domain *
vtd_domain_alloc_user_unit(struct vtd_unit *unit, u32 flags,
			   struct iommu_domain *parent,
			   const struct iommu_user_data *user_data);
struct iommu_domain *vtd_dev_domain(struct vtd_dev *vdev, u32 pasid);
struct vtd_attachment *vtd_dev_attachment(struct vtd_dev *vdev, u32 pasid);
struct iommu_domain *vtd_pasid_slot_domain(void *entry);
struct vtd_domain_unit *vtd_domain_parent_du(struct vtd_domain *vd,
					     struct vtd_unit *unit);
int vtd_dev_attach(struct iommu_domain *domain, struct vtd_dev *vdev,
		   u32 pasid, struct vtd_attachment *att,
		   const struct vtd_pasid_entry *pe);
int vtd_domain_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			     ioasid_t pasid, struct iommu_domain *old);
int vtd_domain_attach_dev(struct iommu_domain *domain, struct device *dev);
struct vtd_domain_unit *vtd_domain_get_did(struct vtd_domain *vd,
					   struct vtd_unit *unit);
void vtd_domain_put_did(struct vtd_domain *vd, struct vtd_domain_unit *du);
void vtd_domain_flush_range(struct vtd_domain *vd, unsigned long start,
			    unsigned long end, bool leaf);
void vtd_domain_flush_all(struct vtd_domain *vd);

/* Ways a flush may be narrowed (vtd_domain_build_flush()). */
#define VTD_FLUSH_LEAF		BIT(0)	/* only leaves changed */
#define VTD_FLUSH_CM_ONLY	BIT(1)	/* only units in caching mode */
#define VTD_FLUSH_ALL		BIT(2)	/* the whole address space */

/* nested.c */
extern const struct iommu_domain_ops vtd_nested_ops;
struct iommu_domain *vtd_nested_alloc(struct iommu_domain *parent, u32 flags,
				      const struct iommu_user_data *user_data);
int vtd_nested_check_s1(const struct vtd_domain *parent,
			const struct iommu_hwpt_vtd_s1 *s1);

#if IS_ENABLED(CONFIG_KUNIT)
int vtd_def_domain_type(struct device *dev);
u32 vtd_dev_enable_pasid(struct vtd_unit *unit, struct pci_dev *pdev);
void vtd_dev_disable_pasid(struct pci_dev *pdev);
int vtd_domain_attach_pasid(struct iommu_domain *domain, struct vtd_dev *vdev,
			    u32 pasid);
void vtd_domain_build_flush(struct vtd_domain *vd, struct vtd_domain_unit *du,
			    struct vtd_qi_batch *b, u64 start, u64 end,
			    unsigned int flags);
int vtd_nested_check_inv(const struct iommu_hwpt_vtd_s1_invalidate *inv);
void vtd_nested_build_inv(struct vtd_domain *vd, struct vtd_domain_unit *du,
			  struct vtd_qi_batch *b,
			  const struct iommu_hwpt_vtd_s1_invalidate *inv);
#endif

/* fault.c */
void vtd_fault_start(struct vtd_unit *unit);
void vtd_fault_stop(struct vtd_unit *unit);
void vtd_fault_sync(struct vtd_unit *unit);
bool vtd_fault_last(struct vtd_unit *unit, u64 *lo, u64 *hi);

/* prq.c */
#define VTD_PRQ_ORDER	4	/* 64 KiB: 2048 page requests */
int vtd_prq_init(struct vtd_unit *unit, unsigned int order);
void vtd_prq_destroy(struct vtd_unit *unit);
void vtd_prq_hw_start(struct vtd_unit *unit);
void vtd_prq_hw_stop(struct vtd_unit *unit);
void vtd_prq_service(struct vtd_unit *unit);
int vtd_prq_dev_start(struct vtd_dev *vdev);
void vtd_prq_dev_stop(struct vtd_dev *vdev);
void vtd_prq_drain_pasid(struct vtd_dev *vdev, u32 pasid);
void vtd_prq_dev_release(struct vtd_dev *vdev);
int vtd_prq_respond(struct vtd_unit *unit, u16 sid,
		    const struct iommu_fault_page_request *prm,
		    enum iommu_page_response_code code);
int vtd_prq_enable_iopf(struct device *dev);
int vtd_prq_disable_iopf(struct device *dev);
void vtd_prq_page_response(struct device *dev, struct iopf_fault *evt,
			   struct iommu_page_response *msg);

/* ats.c */
void vtd_ats_probe(struct vtd_dev *vdev);
void vtd_ats_enable(struct vtd_dev *vdev);
void vtd_ats_disable(struct vtd_dev *vdev);
void vtd_ats_add_flush(struct vtd_qi_batch *b, struct vtd_dev *vdev,
		       u32 pasid, u64 addr, unsigned int order);
void vtd_ats_add_flush_sid(struct vtd_qi_batch *b, struct vtd_unit *unit,
			   u16 sid, u32 pasid, u64 addr, unsigned int order);

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
extern struct mutex vtd_debug_dev_lock;
void vtd_debug_add_unit(struct vtd_unit *unit, struct dentry *root);
void vtd_debug_remove_unit(struct vtd_unit *unit);
void vtd_debug_fault_info(struct vtd_unit *unit, struct vtd_sm_fault_info *info);
int vtd_debug_walk(struct vtd_unit *unit, u16 sid, u32 pasid, u64 addr,
		   unsigned int access, struct vtd_walk_result *res);

#endif /* _VTD_SM_VTD_H */
