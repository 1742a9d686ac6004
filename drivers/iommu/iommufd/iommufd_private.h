/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of iommufd_pasid.ko.
 *
 * Files and what they own:
 *   main.c          /dev/iommu, file operations, ioctl dispatch
 *   object.c        object IDs, reference counts, destruction order
 *   ioas.c          the IOMMU_IOAS_* ioctls
 *   io_pagetable.c  IOVA bookkeeping of an IOAS and its iommu_domains
 *   pages.c         pinning and RLIMIT_MEMLOCK accounting of user memory
 *   pasid_alloc.c   EXTENSION: global PASIDs drawn by a context, with quota
 *   device.c        device objects: bind/unbind, DMA ownership, the
 *                   context's IOMMU group records, GET_HW_INFO
 *   hw_pagetable.c  HWPT objects: IOMMU_HWPT_ALLOC, IOMMU_HWPT_INVALIDATE
 *   pasid.c         what is attached where: RID and PASIDs of the
 *                   devices of an IOMMU group
 *   iommufd_pci.c   the PCI driver and its /dev/iommufd/<BDF> nodes
 *   option.c        IOMMU_OPTION
 *   vfio_compat.c   IOMMU_VFIO_IOAS and the VFIO type1 ioctls of /dev/iommu
 *   ioas_file.c     IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_CHANGE_PROCESS
 *   uapi_stubs.c    mainline ioctls for features no driver here has
 *   dirty.c         dirty tracking ioctls
 *   dirty_bitmap.c  the user bitmap they fill
 */
#ifndef __IOMMUFD_PRIVATE_H
#define __IOMMUFD_PRIVATE_H

#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

struct device;
struct file;
struct iommu_dirty_bitmap;
struct iommu_domain;
struct iommu_group;
struct iova_bitmap;
struct ioasid_set;
struct mm_struct;
struct page;
struct task_struct;
struct user_struct;

/**
 * enum iommufd_object_type - kinds of objects in an iommufd context
 * @IOMMUFD_OBJ_NONE: no object; also "any type" for lookups
 * @IOMMUFD_OBJ_IOAS: struct iommufd_ioas
 * @IOMMUFD_OBJ_DEVICE: struct iommufd_device
 * @IOMMUFD_OBJ_HWPT_PAGING: struct iommufd_hwpt_paging
 * @IOMMUFD_OBJ_HWPT_NESTED: struct iommufd_hwpt_nested
 * @IOMMUFD_OBJ_ACCESS: struct iommufd_access
 * @IOMMUFD_OBJ_FAULT: struct iommufd_fault
 * @IOMMUFD_OBJ_SELFTEST: a mock device of the test build (selftest.c)
 * @IOMMUFD_OBJ_MAX: number of types
 */
enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
#ifdef IOMMUFD_PASID_TEST
	IOMMUFD_OBJ_SELFTEST,
#endif
	IOMMUFD_OBJ_MAX,
};

/**
 * struct iommufd_object - header of every object of a context
 * @users: references; the context's ID table holds one, every object that
 *         depends on this one holds one, and so does every ioctl using it
 * @type: enum iommufd_object_type
 * @id: the ID userspace names the object by
 *
 * An object is destroyed only when the ID table holds the last reference,
 * so nothing can still point at it.
 */
struct iommufd_object {
	refcount_t users;
	enum iommufd_object_type type;
	u32 id;
};

/**
 * struct iommufd_ctx - one open file of /dev/iommu
 * @file: the file
 * @objects: ID -> struct iommufd_object; IDs start at 1.  An ID that is
 *           allocated but whose object is not finalized holds a reserved
 *           (zero) entry, which lookups do not see.
 * @groups: iommu_group_id() -> struct iommufd_group of the IOMMU groups
 *	    whose devices are bound to this context
 * @pasid_set: the ioasid set global PASIDs of this context are charged to
 * @pasids: PASIDs userspace holds through IOMMU_PASID_ALLOC (value entries)
 * @account_mode: enum iopt_account_mode of new mappings (IOMMU_OPTION
 *		  RLIMIT_MODE); changes only while @objects is empty
 * @vfio_ioas: the IOAS the VFIO type1 ioctls act on, or NULL; no
 *	       reference, protected by the @objects lock and cleared when
 *	       that IOAS is destroyed
 */
struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
	struct xarray groups;
	struct ioasid_set *pasid_set;
	struct xarray pasids;
	u8 account_mode;
	struct iommufd_ioas *vfio_ioas;
};

/**
 * struct iommufd_ucmd - one ioctl call
 * @ictx: the context
 * @ubuffer: the user's argument structure
 * @user_size: its size as userspace gave it
 * @cmd: kernel copy of the structure, zero-extended to the kernel's size
 */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

/* object.c */
int iommufd_object_reserve(struct iommufd_ctx *ictx,
			   struct iommufd_object *obj,
			   enum iommufd_object_type type);
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx,
			  struct iommufd_object *obj);
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_object *obj);
void iommufd_object_remove(struct iommufd_ctx *ictx,
			   struct iommufd_object *obj);
int iommufd_object_remove_timeout(struct iommufd_ctx *ictx,
				  struct iommufd_object *obj);
void iommufd_object_orphan(struct iommufd_object *obj);
int iommufd_object_destroy_user(struct iommufd_ctx *ictx, u32 id);
void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx,
					struct iommufd_object *obj);
void iommufd_objects_destroy_all(struct iommufd_ctx *ictx);
int iommufd_destroy(struct iommufd_ucmd *ucmd);

/* pasid_alloc.c (EXTENSION) */
int iommufd_pasid_alloc_init(struct iommufd_ctx *ictx);
void iommufd_pasid_alloc_destroy(struct iommufd_ctx *ictx);
int iommufd_pasid_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_pasid_free_ioctl(struct iommufd_ucmd *ucmd);

/* pages.c */

/**
 * enum iopt_account_mode - where pinned memory is charged
 * @IOPT_ACCOUNT_USER: the owner's user locked_vm (IOMMU_OPTION_RLIMIT_MODE 0)
 * @IOPT_ACCOUNT_MM: the owning process's mm->locked_vm (RLIMIT_MODE 1)
 *
 * Both are limited by the owning process's RLIMIT_MEMLOCK and add to its
 * mm->pinned_vm.  A kernel whose user_struct has no locked_vm limits
 * mm->pinned_vm in mode 0 instead.
 */
enum iopt_account_mode {
	IOPT_ACCOUNT_USER = 0,
	IOPT_ACCOUNT_MM = 1,
};

/**
 * struct iopt_pages - a range of user or memfd memory, pinned on demand
 * @kref: one reference per IOVA area (and piece of a copy) using it
 * @mutex: protects @runs (its external lock)
 * @runs: the pinned pages: ranges of page indexes on physically contiguous
 *	  memory with one count of users each (see pages.c); a page is
 *	  pinned exactly while it has a user (a domain-filled area or an
 *	  access pin)
 * @uptr: user address of the first page (page aligned); user memory only
 * @file: the memfd of an IOMMU_IOAS_MAP_FILE mapping (a reference), or
 *	  NULL for user memory
 * @start: file offset of the first page (page aligned); files only
 * @npages: number of pages the range touches
 * @npinned: pages pinned (and charged) now
 * @source_task: the owner: the mapping process, or the one that took the
 *		 charge with IOMMU_IOAS_CHANGE_PROCESS (its RLIMIT_MEMLOCK
 *		 applies)
 * @source_mm: its address space, where user memory is pinned from
 * @source_user: the user charged for the pinned pages
 * @charged: the mapper lacked CAP_IPC_LOCK: pins are limited and charged
 * @writable: pinned for write; areas may map it writeable
 * @account_mode: enum iopt_account_mode; set before the first pin
 *
 * IOMMU_IOAS_COPY shares one iopt_pages between areas of several IOASes,
 * so memory is pinned and charged once however often it is mapped.
 */
struct iopt_pages {
	struct kref kref;
	struct mutex mutex; /* pin state */
	struct maple_tree runs;
	unsigned long uptr;
	struct file *file;
	unsigned long start;
	unsigned long npages;
	unsigned long npinned;
	struct task_struct *source_task;
	struct mm_struct *source_mm;
	struct user_struct *source_user;
	bool charged;
	bool writable;
	u8 account_mode;
};

struct iopt_pages *iopt_pages_alloc(unsigned long uaddr, unsigned long length,
				    bool writable);
int iopt_pages_pin(struct iopt_pages *pages, unsigned long first,
		   unsigned long last, struct page **out);
void iopt_pages_unpin(struct iopt_pages *pages, unsigned long first,
		      unsigned long last);
struct page *iopt_pages_pinned(struct iopt_pages *pages, unsigned long index);
unsigned long iopt_pages_pfn_run(struct iopt_pages *pages, unsigned long index,
				 unsigned long last, unsigned long *pfn);
unsigned long __iopt_pages_pfn_run(struct iopt_pages *pages,
				   unsigned long index, unsigned long last,
				   unsigned long *pfn);
int iopt_pages_cut(struct iopt_pages *pages, unsigned long index);
int iopt_pages_rw(struct iopt_pages *pages, unsigned long start_byte,
		  void *data, unsigned long length, bool write, bool use_mm);
struct iopt_pages *iopt_pages_alloc_file(struct file *file,
					 unsigned long start,
					 unsigned long length, bool writable);
int iopt_pages_charge_current(struct iopt_pages *pages,
			      unsigned long *charged);
void iopt_pages_uncharge_current(struct iopt_pages *pages,
				 unsigned long charged);
void iopt_pages_change_owner(struct iopt_pages *pages, unsigned long charged);
bool iopt_pages_owned_by_current(struct iopt_pages *pages);
void iopt_pages_get(struct iopt_pages *pages);
void iopt_pages_put(struct iopt_pages *pages);

/* io_pagetable.c */

/**
 * struct io_pagetable - IOVA space of an IOAS
 * @lock: protects everything below
 * @areas: mapped ranges (struct iopt_area)
 * @allowed: ranges automatic IOVA allocation is confined to; empty means
 *           anywhere
 * @reserved: ranges that may not be mapped (struct iopt_reserved)
 * @domains: iommu_domains kept in sync with @areas
 * @accesses: struct iommufd_access attached to the IOAS (XA_FLAGS_ALLOC);
 *	      changed under @lock, walked under its xa_lock
 * @iova_alignment: required alignment of IOVAs, lengths and user page
 *		    offsets: 1 until a domain, an access that pins pages or
 *		    @disable_large_pages asks for more
 * @disable_large_pages: IOMMU_OPTION_HUGE_PAGES is 0: PAGE_SIZE alignment
 * @account_mode: enum iopt_account_mode of the context when the IOAS was
 *		  made (RLIMIT_MODE cannot change while an IOAS exists)
 */
struct io_pagetable {
	struct mutex lock; /* protects all of the io_pagetable */
	struct rb_root_cached areas;
	struct rb_root_cached allowed;
	struct rb_root_cached reserved;
	struct xarray domains;
	struct xarray accesses;
	unsigned long iova_alignment;
	u8 account_mode;
	bool disable_large_pages;
};

/**
 * struct iopt_piece - a slice of user memory on its way to an IOAS
 * @node: entry in a list of pieces
 * @pages: the memory; a reference owned by the piece until mapped
 * @start_byte: offset of the slice from the first page of @pages
 * @length: length of the slice in bytes
 */
struct iopt_piece {
	struct list_head node;
	struct iopt_pages *pages;
	unsigned long start_byte;
	unsigned long length;
};

void iopt_init(struct io_pagetable *iopt);
void iopt_destroy(struct io_pagetable *iopt);
int iopt_map_user(struct io_pagetable *iopt, unsigned long *iova,
		  unsigned long uaddr, unsigned long length, int prot,
		  bool fixed);
int iopt_get_pieces(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, struct list_head *pieces);
int iopt_map_pieces(struct io_pagetable *iopt, struct list_head *pieces,
		    unsigned long length, unsigned long *iova, int prot,
		    bool fixed);
void iopt_free_pieces(struct list_head *pieces);
int iopt_unmap(struct io_pagetable *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped);
int iopt_cut(struct io_pagetable *iopt, unsigned long iova);
int iopt_set_allowed(struct io_pagetable *iopt,
		     struct rb_root_cached *allowed);
void iopt_free_itree(struct rb_root_cached *itree);
unsigned long iopt_iova_alignment(struct io_pagetable *iopt);
int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);

/**
 * struct iopt_range_visitor - callback of iopt_walk_usable()
 * @visit: called with an inclusive IOVA range; embed the visitor in a
 *         larger structure to pass more state
 */
struct iopt_range_visitor {
	int (*visit)(struct iopt_range_visitor *visitor, unsigned long start,
		     unsigned long last);
};

int iopt_walk_usable(struct io_pagetable *iopt,
		     struct iopt_range_visitor *visitor);

/**
 * struct iopt_pages_visitor - callback of iopt_walk_pages()
 * @visit: called with the pages of every area; embed the visitor in a
 *	   larger structure to pass more state
 */
struct iopt_pages_visitor {
	int (*visit)(struct iopt_pages_visitor *visitor,
		     struct iopt_pages *pages);
};

int iopt_walk_pages(struct io_pagetable *iopt,
		    struct iopt_pages_visitor *visitor);
int iopt_map_file(struct io_pagetable *iopt, unsigned long *iova,
		  struct file *file, unsigned long start, unsigned long length,
		  int prot, bool fixed);
int iopt_reserve(struct io_pagetable *iopt, unsigned long start,
		 unsigned long last, void *owner);
void iopt_unreserve(struct io_pagetable *iopt, void *owner);
int iopt_add_domain(struct io_pagetable *iopt, struct iommu_domain *domain);
int iopt_read_and_clear_dirty(struct io_pagetable *iopt,
			      struct iommu_domain *domain, unsigned long flags,
			      unsigned long iova, unsigned long length,
			      struct iova_bitmap *bitmap);
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable);
void iopt_remove_domain(struct io_pagetable *iopt,
			struct iommu_domain *domain);

struct iommufd_access;
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access,
		    u32 *id);
void iopt_remove_access(struct io_pagetable *iopt, u32 id);
int iopt_access_pin(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, struct page **out_pages,
		    unsigned int flags);
void iopt_access_unpin(struct io_pagetable *iopt, unsigned long iova,
		       unsigned long length);
int iopt_access_rw(struct io_pagetable *iopt, unsigned long iova, void *data,
		   unsigned long length, unsigned int flags);

/* ioas.c */

/**
 * struct iommufd_ioas - an I/O address space object
 * @obj: object header
 * @iopt: the IOVA space
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
};

struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, u32 id);
struct iommufd_ioas *iommufd_ioas_create(struct iommufd_ctx *ictx);
void iommufd_ioas_destroy(struct iommufd_object *obj);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_map_prot(u32 flags);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd);
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd);

/* option.c */
int iommufd_option(struct iommufd_ucmd *ucmd);

/* vfio_compat.c */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg);
struct iommufd_ioas *iommufd_get_compat_ioas(struct iommufd_ctx *ictx);

/* dirty.c */
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);
#if IS_ENABLED(CONFIG_KUNIT)
struct iommufd_hwpt_paging;
bool iommufd_hwpt_records_dirty(struct iommufd_hwpt_paging *hwpt_paging);
#endif

/* dirty_bitmap.c */
struct iova_bitmap *iommufd_bitmap_alloc(unsigned long iova,
					 unsigned long length,
					 unsigned long page_size,
					 u64 __user *data);
void iommufd_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova,
			unsigned long length);
int iommufd_bitmap_finish(struct iova_bitmap *bitmap);

/* uapi_stubs.c */
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd);

/* fault.c */

/**
 * struct iommufd_fault - a fault queue (IOMMUFD_OBJ_FAULT)
 * @obj: object header
 * @ictx: the context; the queue's descriptor holds a reference on it
 * @wait_queue: pollers of the descriptor
 * @mutex: serializes taking groups off @deliver into @response, answering
 *	   them (userspace or the kernel) and freeing them
 * @lock: protects @deliver, which the IOMMU core's handler adds to
 * @deliver: page request groups not read yet (struct iopf_group, by
 *	     &iopf_group.node), oldest first
 * @response: cookie -> the read group (struct iopf_group) it names
 * @next_cookie: where the search for the next cookie starts
 */
struct iommufd_fault {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	wait_queue_head_t wait_queue;
	struct mutex mutex; /* taking, answering, freeing groups */
	spinlock_t lock; /* @deliver */
	struct list_head deliver;
	struct xarray response;
	u32 next_cookie;
};

struct iommu_attach_handle;
struct iommufd_device;
struct iommufd_hw_pagetable;

int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);
struct iommufd_fault *iommufd_get_fault(struct iommufd_ctx *ictx, u32 id);
void iommufd_fault_destroy(struct iommufd_object *obj);
void iommufd_fault_hwpt_set(struct iommufd_hw_pagetable *hwpt,
			    struct iommufd_fault *fault);
int iommufd_fault_iopf_get(struct iommufd_device *idev);
void iommufd_fault_iopf_put(struct iommufd_device *idev);
void iommufd_fault_answer(struct iommufd_hw_pagetable *hwpt,
			  struct iommu_attach_handle *handle,
			  struct device *dev);

/* hw_pagetable.c */

/**
 * struct iommufd_hw_pagetable - what HWPT objects have in common
 * @obj: object header (IOMMUFD_OBJ_HWPT_PAGING or IOMMUFD_OBJ_HWPT_NESTED)
 * @domain: the iommu_domain; its owner is the device's iommu_ops
 * @pasid_compat: allocated with IOMMU_HWPT_ALLOC_PASID (nested: inherited
 *		  from the flags of the nested allocation)
 * @fault: the fault queue named by IOMMU_HWPT_FAULT_ID_VALID (a
 *	   reference), or NULL
 */
struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	bool pasid_compat;
	struct iommufd_fault *fault;
};

/**
 * struct iommufd_hwpt_paging - a HWPT whose domain maps an IOAS
 * @common: HWPT header
 * @ioas: the IOAS the domain is kept in sync with (a reference)
 * @auto_domain: created by attaching an IOAS, destroyed with its last
 *		 attachment, invisible to IOMMU_DESTROY while attached
 * @nest_parent: allocated with IOMMU_HWPT_ALLOC_NEST_PARENT
 * @enforce_cache_coherency: the domain enforces snooping
 * @dirty_record: the driver of the device the domain was allocated for
 *		  records dirty ranges into this module's bitmap
 *		  (IOMMUFD_CAP_DIRTY_RECORD, include/linux/iommufd_dirty.h)
 */
struct iommufd_hwpt_paging {
	struct iommufd_hw_pagetable common;
	struct iommufd_ioas *ioas;
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	bool dirty_record;
};

/**
 * struct iommufd_hwpt_nested - a HWPT translated through a nest parent
 * @common: HWPT header
 * @parent: the nest parent (a reference)
 */
struct iommufd_hwpt_nested {
	struct iommufd_hw_pagetable common;
	struct iommufd_hwpt_paging *parent;
};

struct iommufd_device;

/*
 * Attach or replace @hwpt at @pasid of @idev; 0 or a negative errno, where
 * -EINVAL means "this HWPT does not fit the device".  It takes references
 * of its own on what it keeps.
 */
typedef int (*iommufd_hwpt_try_fn)(struct iommufd_device *idev, u32 pasid,
				   struct iommufd_hw_pagetable *hwpt);
int iommufd_hwpt_auto_attach(struct iommufd_device *idev,
			     struct iommufd_ioas *ioas, u32 pasid,
			     iommufd_hwpt_try_fn try, u32 *pt_id);
void iommufd_hwpt_put(struct iommufd_ctx *ictx,
		      struct iommufd_hw_pagetable *hwpt);
struct iommufd_hwpt_paging *
iommufd_hwpt_to_paging(struct iommufd_hw_pagetable *hwpt);
struct iommufd_hwpt_paging *
iommufd_hwpt_find_paging(struct iommufd_hw_pagetable *hwpt);
int iommufd_hwpt_enforce_cc(struct iommufd_hw_pagetable *hwpt);
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
void iommufd_hwpt_nested_destroy(struct iommufd_object *obj);
int iommufd_hwpt_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate_ioctl(struct iommufd_ucmd *ucmd);

/* device.c and pasid.c */

/**
 * struct iommufd_group - an IOMMU group as a context sees it
 * @kref: one reference per bound device of the group
 * @ictx: the context (not a reference: its bound devices hold it)
 * @group: the IOMMU group (a reference)
 * @lock: serializes attach, replace and detach of the RID and every PASID
 *	  of every device of the group
 * @pasid_attach: PASID (IOMMU_NO_PASID for the RID) -> pasid.c's record of
 *		  the HWPT the group has attached there and of the devices
 *		  that attached it
 *
 * The IOMMU core attaches a domain to a whole group, RID and PASIDs alike,
 * so the attachments are the group's; each device of the group that
 * attached a HWPT is recorded, and the group is detached when the last of
 * them detaches.
 */
struct iommufd_group {
	struct kref kref;
	struct iommufd_ctx *ictx;
	struct iommu_group *group;
	struct mutex lock; /* all attachments of the group */
	struct xarray pasid_attach;
};

/* pasid.c */

/**
 * struct iommufd_attach_rule - what the PASID rules look at
 * @pasid: the PASID to attach or replace (IOMMU_NO_PASID: the RID)
 * @max_pasids: the device's PASID width (&iommufd_device.max_pasids)
 * @replace: a replace, not an attach
 * @attached: the device holds a HWPT at @pasid now
 * @same: the group holds at @pasid the HWPT to attach
 * @group_other: another device of the group holds a different HWPT at
 *		 @pasid (the device itself holds none)
 * @new_compat: the HWPT to attach is PASID compatible
 * @rid_incompat: the group's RID holds a HWPT that is not PASID compatible
 * @pasids_attached: the group has a PASID other than the RID attached
 */
struct iommufd_attach_rule {
	u32 pasid;
	u32 max_pasids;
	bool replace;
	bool attached;
	bool same;
	bool group_other;
	bool new_compat;
	bool rid_incompat;
	bool pasids_attached;
};

/*
 * Exported by the IOMMU core for iommufd (IOMMUFD_INTERNAL namespace) but
 * declared only in its private drivers/iommu/iommu-priv.h.
 */
int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain);
int iommu_attach_group_handle(struct iommu_domain *domain,
			      struct iommu_group *group,
			      struct iommu_attach_handle *handle);
void iommu_detach_group_handle(struct iommu_domain *domain,
			       struct iommu_group *group);
int iommu_replace_group_handle(struct iommu_group *group,
			       struct iommu_domain *new_domain,
			       struct iommu_attach_handle *handle);
/* @pasid is an ioasid_t, which the headers here do not all have */
struct iommu_attach_handle *iommu_attach_handle_get(struct iommu_group *group,
						    u32 pasid,
						    unsigned int type);

/* iommufd_attach_check(): nothing to do, the HWPT is attached already */
#define IOMMUFD_ATTACH_NOP 1
int iommufd_attach_check(const struct iommufd_attach_rule *rule);
/* Detach every PASID, then the RID; the device is blocked afterwards. */
void iommufd_attach_destroy(struct iommufd_device *idev);

/**
 * struct iommufd_pasid_switch - a PASID replace across a group
 * @to: the domain to switch to
 * @from: the domain in use
 * @pasid: the PASID
 * @handle: the attach handle the IOMMU core holds for @pasid
 * @failed: the device whose switch failed; the undo pass ends with it
 * @undo: this is the pass that switches back
 * @undo_failed: a device could not be switched back either
 */
struct iommufd_pasid_switch {
	struct iommu_domain *to;
	struct iommu_domain *from;
	u32 pasid;
	struct iommu_attach_handle *handle;
	struct device *failed;
	bool undo;
	bool undo_failed;
};

int iommufd_pasid_switch_dev(struct device *dev, void *data);
struct iommufd_device *
iommufd_pasid_handle_device(struct iommu_attach_handle *handle,
			    struct device *dev);

/**
 * struct iommufd_pasid_devs - the devices of a group that attached a HWPT
 *	at one PASID
 * @one: a device, or NULL; the only one in the common case
 * @more: NULL, or object ID -> struct iommufd_device of the others,
 *	allocated when a second device joins
 *
 * One device costs no allocation beyond the record holding this: an
 * XArray with one entry at a device's object ID (never 0) would take a
 * node of its own (576 bytes) per attached PASID.
 */
struct iommufd_pasid_devs {
	struct iommufd_device *one;
	struct xarray *more;
};

int iommufd_pasid_devs_add(struct iommufd_pasid_devs *devs,
			   struct iommufd_device *idev);
void iommufd_pasid_devs_del(struct iommufd_pasid_devs *devs,
			    struct iommufd_device *idev);
bool iommufd_pasid_devs_has(const struct iommufd_pasid_devs *devs,
			    const struct iommufd_device *idev);
bool iommufd_pasid_devs_empty(const struct iommufd_pasid_devs *devs);
struct iommufd_device *
iommufd_pasid_devs_next(const struct iommufd_pasid_devs *devs,
			unsigned long *pos);
void iommufd_pasid_devs_destroy(struct iommufd_pasid_devs *devs);

/* device.c */

/**
 * struct iommufd_device - a device bound to an iommufd context
 * @obj: object header (IOMMUFD_OBJ_DEVICE)
 * @ictx: the context; the binding holds a reference on its file
 * @dev: the device (a reference)
 * @igroup: its IOMMU group in @ictx (a reference), which holds the RID
 *	    and PASID attachments
 * @max_pasids: PASIDs the device may use (dev->iommu->max_pasids at bind;
 *		0 or 1: only the RID)
 * @enforce_cache_coherency: the device's IOMMU can enforce snooping
 * @iopf_users: attachments of the device whose HWPT has a fault queue;
 *		under the attach mutex of @igroup
 * @iopf_on: IOMMU_DEV_FEAT_IOPF is enabled (the driver has the feature and
 *	     @iopf_users is not 0)
 * @unbound: iommufd_device_unbind() has begun: an ioctl that holds the
 *	     object from before must not hand userspace anything new for the
 *	     device (READ_ONCE; the object may outlive the binding, see
 *	     iommufd_object_remove_timeout())
 * @holds_file: the binding holds a reference on the /dev/iommu file of
 *		@ictx (not a mock device's binding of the test build), as
 *		decided at bind
 */
struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct device *dev;
	struct iommufd_group *igroup;
	u32 max_pasids;
	bool enforce_cache_coherency;
	unsigned int iopf_users;
	bool iopf_on;
	bool unbound;
	bool holds_file;
};

void iommufd_device_unbind_wait(struct iommufd_device *idev);
struct iommufd_device *iommufd_get_device(struct iommufd_ctx *ictx, u32 id);
void iommufd_device_destroy(struct iommufd_object *obj);
void iommufd_device_release_orphan(struct iommufd_object *obj);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);

/* access.c */

struct iommufd_access_ops;

/**
 * struct iommufd_access - an in-kernel user of an IOAS's memory
 * @obj: object header (IOMMUFD_OBJ_ACCESS)
 * @ictx: the context (a reference on its file)
 * @ops: the driver's callbacks
 * @data: the driver's argument to them
 * @iova_alignment: PAGE_SIZE if the driver pins pages, else 1
 * @ioas_lock: serializes attach, replace, detach, pin, unpin and rw
 * @ioas: the attached IOAS (a reference), NULL while detaching
 * @ioas_unpin: the IOAS pins were taken from; unpin works through it while
 *		@ioas is already NULL
 * @iopt_id: index in &io_pagetable.accesses of @ioas_unpin
 */
struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	const struct iommufd_access_ops *ops;
	void *data;
	unsigned long iova_alignment;
	struct mutex ioas_lock; /* the attachment */
	struct iommufd_ioas *ioas;
	struct iommufd_ioas *ioas_unpin;
	u32 iopt_id;
};

void iommufd_access_destroy_object(struct iommufd_object *obj);
void iommufd_access_notify_unmap(struct io_pagetable *iopt,
				 unsigned long iova, unsigned long length);

/* iommufd_pci.c */
int iommufd_pci_init(void);
void iommufd_pci_exit(void);

/* selftest.c: the test build (IOMMUFD_PASID_TEST) only */
#ifdef IOMMUFD_PASID_TEST
int iommufd_test(struct iommufd_ucmd *ucmd);
void iommufd_selftest_destroy(struct iommufd_object *obj);
bool iommufd_selftest_is_mock_dev(struct device *dev);
int iommufd_test_init(void);
void iommufd_test_exit(void);
#else
static inline bool iommufd_selftest_is_mock_dev(struct device *dev)
{
	return false;
}

static inline int iommufd_test_init(void)
{
	return 0;
}

static inline void iommufd_test_exit(void)
{
}
#endif

#endif /* __IOMMUFD_PRIVATE_H */
