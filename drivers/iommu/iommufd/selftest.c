// SPDX-License-Identifier: GPL-2.0
/*
 * Test build only (IOMMUFD_PASID_TEST=y): a mock IOMMU driver and the
 * IOMMU_TEST_CMD ioctl of the test ABI in iommufd_test.h, so that Linux's
 * own iommufd kselftests can drive /dev/iommu without hardware.
 *
 * The mock IOMMU lives next to vtd_sm.  The 6.12 IOMMU core finds the
 * driver of a device through the fwnode of the device's iommu_fwspec
 * (iommu_fwspec_ops()); devices without one go to the instance registered
 * with a NULL fwnode, which is vtd_sm.  So the mock instance is registered
 * with a software node as its fwnode, and each mock device is a platform
 * device whose fwspec names that node before it is added: the platform
 * bus notifier of the core then probes it with the mock ops, and nothing
 * else ever reaches them.  See Documentation/driver-api/iommufd-mock.rst.
 *
 * The mock has page request support as an IOMMU driver has it in 6.12:
 * IOMMU_DEV_FEAT_IOPF puts a device on the mock's iopf_queue, and
 * IOMMU_TEST_OP_TRIGGER_IOPF reports one page request (the last of its
 * group) with iommu_report_device_fault(), as a driver does from its page
 * request queue.  The core delivers it to the handler of the domain
 * attached there (fault.c).  The mock counts the groups it reported and
 * the answers it got (mock_page_response()), which the tests
 * read from debugfs: iommufd_pasid_mock/iopf.
 */
#define pr_fmt(fmt) "iommufd_pasid: mock: " fmt

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/iommufd_dirty.h>
#include <linux/iommufd_pasid.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"
#include "iommufd_test.h"

/* Half a CPU page, so that IOVA alignment below PAGE_SIZE is exercised. */
#define MOCK_IO_PAGE_SIZE (PAGE_SIZE / 2)
/*
 * Flags of an entry of &mock_domain.pfns, above the page frame.  Every
 * I/O page of a large IOPTE has an entry with MOCK_PFN_HUGE; the dirty
 * bit of a large IOPTE is the one of its first entry.
 */
#define MOCK_PFN_DIRTY BIT(60)
#define MOCK_PFN_HUGE BIT(59)
#define MOCK_PFN_MASK (MOCK_PFN_HUGE - 1)
/* The large page of a MOCK_FLAGS_DEVICE_HUGE_IOVA device's domains. */
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_IO_PAGE_SIZE)
#define MOCK_HUGE_PAGES (MOCK_HUGE_PAGE_SIZE / MOCK_IO_PAGE_SIZE)

static struct iommu_device mock_iommu;
static struct fwnode_handle *mock_fwnode;
static const struct iommu_ops mock_ops;
static const struct iommu_domain_ops mock_paging_ops;
static const struct iommu_domain_ops mock_nested_ops;

/* Recorded for the test ABI; our pinning has no batch memory to limit. */
static u32 iommufd_test_memory_limit = 65536;

/* Page requests: the mock's queue, and what tests read of it. */
static struct iopf_queue *mock_iopf_queue;
static struct dentry *mock_debugfs;
static atomic64_t mock_iopf_reported;
static atomic64_t mock_iopf_answers[IOMMU_PAGE_RESP_FAILURE + 1];

/**
 * struct mock_dev - a device behind the mock IOMMU
 * @pdev: its platform device
 * @flags: MOCK_FLAGS_DEVICE_*
 * @idle: on mock_dev_idle[] while no test object uses it
 * @iopf_rwsem: held for reading while a page request is reported, for
 *		writing while the device's attachments change: the IOMMU
 *		core asks drivers to report nothing for an attachment that
 *		is going away, and a real driver drains its queue for that
 * @pasids: PASID -> the domain set there, as a PASID table would hold it;
 *	    no entry: blocked.  Its lock also covers @fail_pasid and
 *	    @fail_count
 * @fail_pasid: the PASID at which set_dev_pasid() fails...
 * @fail_count: ...this many more times (IOMMU_TEST_OP_MOCK_PASID_FAIL)
 */
struct mock_dev {
	struct platform_device *pdev;
	u32 flags;
	struct list_head idle;
	struct rw_semaphore iopf_rwsem;
	struct xarray pasids;
	u32 fail_pasid;
	u32 fail_count;
};

/*
 * Mock devices no test object uses, kept for the next IOMMU_TEST_OP_MOCK_*
 * instead of being removed: [1] those with a PASID width, [0] the others.
 *
 * Adding a platform device and probing it makes some sixty allocations
 * (sysfs nodes, the IOMMU group), more than the rest of a mock domain
 * ioctl.  iommufd_fail_nth injects a failure at each allocation of a
 * sequence in turn, under a 30 s limit per test and 400 injections at
 * most, so with a new device each time most of its runs would go to the
 * driver core rather than to iommufd.  A device comes back here only
 * once iommufd let it go (unbound, on the blocked domain, no IOPF), as a
 * device unbound from VFIO is bound again.  Only the device is reused:
 * each use gets new flags and a new binding, HWPT and IDs.
 *
 * The IOMMU core holds a reference on this module for each device it
 * probed with the mock ops.  An idle device gives its reference back, or
 * the module could never be removed; it takes one again when it is
 * reused (from an ioctl: the caller's file pins the module) or removed
 * (at module exit, for the core to put when it releases the device).
 */
#define MOCK_DEV_IDLE_MAX 8
static DEFINE_MUTEX(mock_dev_lock);
static struct list_head mock_dev_idle[2] = {
	LIST_HEAD_INIT(mock_dev_idle[0]), LIST_HEAD_INIT(mock_dev_idle[1]),
};

static unsigned int mock_dev_nr_idle[2];

/**
 * struct mock_domain - a mock paging domain
 * @domain: the iommu_domain
 * @pfns: IOVA / MOCK_IO_PAGE_SIZE -> xa_mk_value(PA / MOCK_IO_PAGE_SIZE)
 * @dirty_tracking: allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 * @tracking: dirty tracking is on: IOMMU_TEST_OP_DIRTY may set dirty bits
 */
struct mock_domain {
	struct iommu_domain domain;
	struct xarray pfns;
	bool dirty_tracking;
	bool tracking;
};

/**
 * struct mock_nested - a mock nested domain
 * @domain: the iommu_domain
 * @parent: the nest parent
 * @iotlb: what the mock IOTLB entries hold
 */
struct mock_nested {
	struct iommu_domain domain;
	struct mock_domain *parent;
	u32 iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

/**
 * struct iommufd_selftest - IOMMUFD_OBJ_SELFTEST: a mock device and its
 *			     binding, made by IOMMU_TEST_OP_MOCK_DOMAIN
 * @obj: object header; its ID is the "stdev_id" of the test ABI
 * @mdev: the mock device
 * @idev: the binding of @mdev to the context
 */
struct iommufd_selftest {
	struct iommufd_object obj;
	struct mock_dev *mdev;
	struct iommufd_device *idev;
};

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return platform_get_drvdata(to_platform_device(dev));
}

/**
 * iommufd_selftest_is_mock_dev() - is @dev a device of the mock IOMMU
 * @dev: any device
 *
 * The binding of a mock device is owned by an object of the context, so
 * it must not hold the context's file: that would be a reference cycle.
 *
 * Return: true for a mock device.
 */
bool iommufd_selftest_is_mock_dev(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev == &mock_iommu;
}

/* The blocked domain, also the default domain of every mock device. */
static int mock_blocked_attach(struct iommu_domain *domain, struct device *dev)
{
	return 0;
}

static int mock_blocked_set_dev_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid,
				      struct iommu_domain *old)
{
	xa_erase(&to_mock_dev(dev)->pasids, pasid);
	return 0;
}

static const struct iommu_domain_ops mock_blocked_ops = {
	.attach_dev = mock_blocked_attach,
	.set_dev_pasid = mock_blocked_set_dev_pasid,
};

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_blocked_ops,
};

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static struct mock_nested *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested, domain);
}

static int mock_domain_attach(struct iommu_domain *domain, struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	if (domain->ops == &mock_paging_ops &&
	    to_mock_domain(domain)->dirty_tracking &&
	    (mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	return 0;
}

/*
 * Set @domain at @pasid, or fail as IOMMU_TEST_OP_MOCK_PASID_FAIL asked:
 * then the PASID is left blocked, whatever was there, as vtd_sm leaves it
 * when the invalidation after an update fails.
 */
static int mock_domain_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	bool fail = false;
	int rc;

	if (!(mdev->flags & MOCK_FLAGS_DEVICE_PASID))
		return -EINVAL;
	rc = mock_domain_attach(domain, dev);
	if (rc)
		return rc;
	xa_lock(&mdev->pasids);
	if (mdev->fail_count && mdev->fail_pasid == pasid) {
		mdev->fail_count--;
		__xa_erase(&mdev->pasids, pasid);
		fail = true;
	}
	xa_unlock(&mdev->pasids);
	if (fail)
		return -EIO;
	return xa_err(xa_store(&mdev->pasids, pasid, domain, GFP_KERNEL));
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain)
{
	xa_erase(&to_mock_dev(dev)->pasids, pasid);
}

static const struct iommu_dirty_ops mock_dirty_ops;

static struct iommu_domain *mock_domain_alloc(struct device *dev,
					      bool dirty_tracking)
{
	struct mock_domain *mock;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	xa_init(&mock->pfns);
	mock->dirty_tracking = dirty_tracking;
	mock->domain.type = IOMMU_DOMAIN_UNMANAGED;
	mock->domain.ops = &mock_paging_ops;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	mock->domain.geometry.aperture_start = MOCK_APERTURE_START;
	mock->domain.geometry.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.geometry.force_aperture = true;
	if (to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		mock->domain.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	if (dirty_tracking)
		mock->domain.dirty_ops = &mock_dirty_ops;
	return &mock->domain;
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	return mock_domain_alloc(dev, false);
}

static struct iommu_domain *
mock_domain_alloc_nested(struct iommu_domain *parent,
			 const struct iommu_user_data *user_data)
{
	struct iommu_hwpt_selftest data;
	struct mock_nested *nested;
	int rc, i;

	if (parent->ops != &mock_paging_ops)
		return ERR_PTR(-EINVAL);
	if (user_data->type != IOMMU_HWPT_DATA_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	rc = iommu_copy_struct_from_user(&data, user_data,
					 IOMMU_HWPT_DATA_SELFTEST, iotlb);
	if (rc)
		return ERR_PTR(rc);

	nested = kzalloc(sizeof(*nested), GFP_KERNEL);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->parent = to_mock_domain(parent);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &mock_nested_ops;
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		nested->iotlb[i] = data.iotlb;
	return &nested->domain;
}

static struct iommu_domain *
mock_domain_alloc_user(struct device *dev, u32 flags,
		       struct iommu_domain *parent,
		       const struct iommu_user_data *user_data)
{
	const u32 paging_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				 IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				 IOMMU_HWPT_ALLOC_PASID;
	struct mock_dev *mdev = to_mock_dev(dev);

	if (parent) {
		if (flags & ~IOMMU_HWPT_ALLOC_PASID)
			return ERR_PTR(-EOPNOTSUPP);
		if (!user_data)
			return ERR_PTR(-EINVAL);
		return mock_domain_alloc_nested(parent, user_data);
	}
	if (user_data || (flags & ~paging_flags))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    (mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return ERR_PTR(-EOPNOTSUPP);
	return mock_domain_alloc(dev, flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock_domain(domain);

	/* iommufd unmaps everything before it frees a domain. */
	WARN_ON(!xa_empty(&mock->pfns));
	xa_destroy(&mock->pfns);
	kfree(mock);
}

static size_t mock_domain_unmap_pages(struct iommu_domain *domain,
				      unsigned long iova, size_t pgsize,
				      size_t pgcount,
				      struct iommu_iotlb_gather *gather)
{
	struct mock_domain *mock = to_mock_domain(domain);
	size_t size = pgsize * pgcount, done;

	for (done = 0; done < size; done += MOCK_IO_PAGE_SIZE) {
		/* Unmapping what was never mapped is a bug of iommufd. */
		if (WARN_ON(!xa_erase(&mock->pfns,
				      (iova + done) / MOCK_IO_PAGE_SIZE)))
			break;
	}
	return done;
}

static int mock_domain_map_pages(struct iommu_domain *domain,
				 unsigned long iova, phys_addr_t paddr,
				 size_t pgsize, size_t pgcount, int prot,
				 gfp_t gfp, size_t *mapped)
{
	struct mock_domain *mock = to_mock_domain(domain);
	size_t size = pgsize * pgcount, done;
	unsigned long huge = 0;
	void *old;

	if (WARN_ON(iova % MOCK_IO_PAGE_SIZE || paddr % MOCK_IO_PAGE_SIZE))
		return -EINVAL;
	if (pgsize == MOCK_HUGE_PAGE_SIZE)
		huge = MOCK_PFN_HUGE;
	for (done = 0; done < size; done += MOCK_IO_PAGE_SIZE) {
		old = xa_cmpxchg(&mock->pfns, (iova + done) / MOCK_IO_PAGE_SIZE,
				 NULL,
				 xa_mk_value((paddr + done) / MOCK_IO_PAGE_SIZE |
					     huge),
				 gfp);
		if (xa_is_err(old) || WARN_ON(old)) {
			if (done)
				mock_domain_unmap_pages(domain, iova,
							MOCK_IO_PAGE_SIZE,
							done / MOCK_IO_PAGE_SIZE,
							NULL);
			return xa_is_err(old) ? xa_err(old) : -EEXIST;
		}
	}
	*mapped = size;
	return 0;
}

static phys_addr_t mock_domain_iova_to_phys(struct iommu_domain *domain,
					    dma_addr_t iova)
{
	struct mock_domain *mock = to_mock_domain(domain);
	void *ent;

	ent = xa_load(&mock->pfns, iova / MOCK_IO_PAGE_SIZE);
	if (!ent)
		return 0;
	return (xa_to_value(ent) & MOCK_PFN_MASK) * MOCK_IO_PAGE_SIZE +
	       iova % MOCK_IO_PAGE_SIZE;
}

static int mock_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	to_mock_domain(domain)->tracking = enable;
	return 0;
}

/* The entry holding the dirty bit of the IOPTE that maps @index. */
static unsigned long mock_pte_head(void *ent, unsigned long index)
{
	if (xa_to_value(ent) & MOCK_PFN_HUGE)
		return rounddown(index, MOCK_HUGE_PAGES);
	return index;
}

/*
 * Report every dirty IOPTE of the range (the part of a large one inside
 * the range), and clear its bit unless IOMMU_DIRTY_NO_CLEAR.  Called under
 * the IOAS lock, as is every map and unmap, so the entries cannot change
 * meanwhile.  The records go through iommufd_dirty_record(): the kernel's
 * iommu_dirty_bitmap_record() does not fill iommufd_pasid's bitmap (see
 * include/linux/iommufd_dirty.h).
 */
static int mock_read_and_clear_dirty(struct iommu_domain *domain,
				     unsigned long iova, size_t size,
				     unsigned long flags,
				     struct iommu_dirty_bitmap *dirty)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	unsigned long last = (iova + size - 1) / MOCK_IO_PAGE_SIZE;
	unsigned long index, head, end, next = first, val;
	void *ent, *head_ent;

	if (!mock->tracking && dirty->bitmap)
		return -EINVAL;
	xa_for_each_range(&mock->pfns, index, ent, first, last) {
		if (index < next)
			continue;
		head = mock_pte_head(ent, index);
		end = head + ((xa_to_value(ent) & MOCK_PFN_HUGE) ?
			      MOCK_HUGE_PAGES : 1);
		next = end;
		head_ent = head == index ? ent : xa_load(&mock->pfns, head);
		if (!head_ent)
			continue;
		val = xa_to_value(head_ent);
		if (!(val & MOCK_PFN_DIRTY))
			continue;
		head = max(head, first);
		end = min(end - 1, last);
		iommufd_dirty_record(dirty, head * MOCK_IO_PAGE_SIZE,
				     (end - head + 1) * MOCK_IO_PAGE_SIZE);
		if (!(flags & IOMMU_DIRTY_NO_CLEAR))
			xa_store(&mock->pfns, mock_pte_head(ent, index),
				 xa_mk_value(val & ~MOCK_PFN_DIRTY), GFP_KERNEL);
	}
	return 0;
}

static const struct iommu_dirty_ops mock_dirty_ops = {
	.set_dirty_tracking = mock_set_dirty_tracking,
	.read_and_clear_dirty = mock_read_and_clear_dirty,
};

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = mock_domain_attach,
	.set_dev_pasid = mock_domain_set_dev_pasid,
	.map_pages = mock_domain_map_pages,
	.unmap_pages = mock_domain_unmap_pages,
	.iova_to_phys = mock_domain_iova_to_phys,
	.free = mock_domain_free,
};

static void mock_nested_free(struct iommu_domain *domain)
{
	kfree(to_mock_nested(domain));
}

static int mock_nested_invalidate(struct iommu_domain *domain,
				  struct iommu_user_data_array *array)
{
	struct mock_nested *nested = to_mock_nested(domain);
	const u32 type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	struct iommu_hwpt_invalidate_selftest inv;
	u32 done = 0;
	int rc = 0, i;

	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	for (; done < array->entry_num; done++) {
		rc = iommu_copy_struct_from_user_array(&inv, array, type, done,
						       iotlb_id);
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
				nested->iotlb[i] = 0;
		} else {
			nested->iotlb[inv.iotlb_id] = 0;
		}
	}
out:
	array->entry_num = done;
	return rc;
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_domain_attach,
	.set_dev_pasid = mock_domain_set_dev_pasid,
	.cache_invalidate_user = mock_nested_invalidate,
	.free = mock_nested_free,
};

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	/* Its dirty_ops record into iommufd_pasid's bitmap. */
	if (cap == IOMMUFD_CAP_DIRTY_RECORD)
		return true;
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		return !(to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
	default:
		return false;
	}
}

static void *mock_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct iommu_test_hw_info *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return info;
}

static struct iommu_device *mock_probe_device(struct device *dev)
{
	/* Only devices whose fwspec names the mock's fwnode get here. */
	return &mock_iommu;
}

/* The answer to a page request group: counted, as hardware would take it. */
static void mock_page_response(struct device *dev, struct iopf_fault *evt,
			       struct iommu_page_response *msg)
{
	if (!WARN_ON(msg->code > IOMMU_PAGE_RESP_FAILURE))
		atomic64_inc(&mock_iopf_answers[msg->code]);
}

static int mock_dev_enable_feat(struct device *dev,
				enum iommu_dev_features feat)
{
	if (feat != IOMMU_DEV_FEAT_IOPF)
		return -EOPNOTSUPP;
	return iopf_queue_add_device(mock_iopf_queue, dev);
}

static int mock_dev_disable_feat(struct device *dev,
				 enum iommu_dev_features feat)
{
	if (feat != IOMMU_DEV_FEAT_IOPF)
		return -EOPNOTSUPP;
	iopf_queue_remove_device(mock_iopf_queue, dev);
	return 0;
}

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.capable = mock_capable,
	.hw_info = mock_hw_info,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.domain_alloc_user = mock_domain_alloc_user,
	.probe_device = mock_probe_device,
	.device_group = generic_device_group,
	.remove_dev_pasid = mock_remove_dev_pasid,
	.page_response = mock_page_response,
	.dev_enable_feat = mock_dev_enable_feat,
	.dev_disable_feat = mock_dev_disable_feat,
	/* Requests at a PASID with nothing attached go to a nested RID. */
	.user_pasid_table = true,
	.pgsize_bitmap = MOCK_IO_PAGE_SIZE,
	.blocked_domain = &mock_blocked_domain,
	.default_domain = &mock_blocked_domain,
	.default_domain_ops = &mock_paging_ops,
};

static void mock_dev_remove(struct mock_dev *mdev)
{
	platform_device_unregister(mdev->pdev);
	kfree(mdev);
}

/* Done with @mdev: keep it idle for the next user, or remove it. */
static void mock_dev_destroy(struct mock_dev *mdev)
{
	struct dev_iommu *param = mdev->pdev->dev.iommu;
	bool pasid = mdev->flags & MOCK_FLAGS_DEVICE_PASID;

	/* Unbinding detached every PASID; nothing is to fail any more. */
	WARN_ON(!xa_empty(&mdev->pasids));
	xa_destroy(&mdev->pasids);
	mdev->fail_count = 0;
	mutex_lock(&mock_dev_lock);
	/* Anything the IOMMU core still has of its use: start afresh. */
	if (mock_dev_nr_idle[pasid] < MOCK_DEV_IDLE_MAX && param &&
	    !rcu_access_pointer(param->fault_param)) {
		list_add(&mdev->idle, &mock_dev_idle[pasid]);
		mock_dev_nr_idle[pasid]++;
		module_put(THIS_MODULE);
		mdev = NULL;
	}
	mutex_unlock(&mock_dev_lock);
	if (mdev)
		mock_dev_remove(mdev);
}

/* An idle device of the kind @flags asks for, or NULL. */
static struct mock_dev *mock_dev_reuse(u32 flags)
{
	bool pasid = flags & MOCK_FLAGS_DEVICE_PASID;
	struct mock_dev *mdev;

	mutex_lock(&mock_dev_lock);
	mdev = list_first_entry_or_null(&mock_dev_idle[pasid],
					struct mock_dev, idle);
	if (mdev) {
		list_del(&mdev->idle);
		mock_dev_nr_idle[pasid]--;
		__module_get(THIS_MODULE);
		mdev->flags = flags;
	}
	mutex_unlock(&mock_dev_lock);
	return mdev;
}

/* Remove every idle device (module exit). */
static void mock_dev_remove_idle(void)
{
	struct mock_dev *mdev, *next;
	unsigned int i;

	mutex_lock(&mock_dev_lock);
	for (i = 0; i < ARRAY_SIZE(mock_dev_idle); i++) {
		list_for_each_entry_safe(mdev, next, &mock_dev_idle[i], idle) {
			list_del(&mdev->idle);
			__module_get(THIS_MODULE);
			mock_dev_remove(mdev);
		}
		mock_dev_nr_idle[i] = 0;
	}
	mutex_unlock(&mock_dev_lock);
}

/*
 * Give a device not added yet the IOMMU data and fwspec that name the
 * mock, as iommu_fwspec_init() would.  That function asserts that the
 * caller holds iommu_probe_device_lock, which is not exported, so with
 * lockdep a module calling it WARNs.  The lock keeps the core's probe off
 * the data while it is set up; this device is not on any bus yet, so
 * nothing can probe it.  Once it is added the core owns and frees both
 * (with the device's IOMMU data); before that, mock_dev_iommu_free().
 */
static int mock_dev_iommu_init(struct device *dev)
{
	struct iommu_fwspec *fwspec;
	struct dev_iommu *param;

	param = kzalloc(sizeof(*param), GFP_KERNEL);
	if (!param)
		return -ENOMEM;
	fwspec = kzalloc(struct_size(fwspec, ids, 1), GFP_KERNEL);
	if (!fwspec) {
		kfree(param);
		return -ENOMEM;
	}
	mutex_init(&param->lock);
	fwspec->iommu_fwnode = fwnode_handle_get(mock_fwnode);
	param->fwspec = fwspec;
	dev->iommu = param;
	return 0;
}

/* Undo mock_dev_iommu_init() if the core never took the data over. */
static void mock_dev_iommu_free(struct device *dev)
{
	struct dev_iommu *param = dev->iommu;

	if (!param || param->iommu_dev)
		return;
	dev->iommu = NULL;
	fwnode_handle_put(param->fwspec->iommu_fwnode);
	kfree(param->fwspec);
	mutex_destroy(&param->lock);
	kfree(param);
}

static struct mock_dev *mock_dev_create(u32 flags)
{
	const struct property_entry pasid_props[] = {
		PROPERTY_ENTRY_U32("pasid-num-bits", MOCK_PASID_WIDTH),
		{ }
	};
	struct mock_dev *mdev;
	int rc;

	if (flags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |
		      MOCK_FLAGS_DEVICE_PASID))
		return ERR_PTR(-EINVAL);
	mdev = mock_dev_reuse(flags);
	if (mdev)
		return mdev;
	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->flags = flags;
	init_rwsem(&mdev->iopf_rwsem);
	xa_init(&mdev->pasids);
	mdev->pdev = platform_device_alloc("iommufd_mock", PLATFORM_DEVID_AUTO);
	if (!mdev->pdev) {
		rc = -ENOMEM;
		goto err_free;
	}
	platform_set_drvdata(mdev->pdev, mdev);
	if (flags & MOCK_FLAGS_DEVICE_PASID) {
		rc = device_create_managed_software_node(&mdev->pdev->dev,
							 pasid_props, NULL);
		if (rc)
			goto err_put;
	}
	/* Names the mock as the device's IOMMU: see the top of the file. */
	rc = mock_dev_iommu_init(&mdev->pdev->dev);
	if (rc)
		goto err_put;
	rc = platform_device_add(mdev->pdev);
	if (rc) {
		mock_dev_iommu_free(&mdev->pdev->dev);
		goto err_put;
	}
	if (!iommufd_selftest_is_mock_dev(&mdev->pdev->dev)) {
		mock_dev_remove(mdev);
		return ERR_PTR(-ENODEV);
	}
	return mdev;

err_put:
	platform_device_put(mdev->pdev);
err_free:
	kfree(mdev);
	return ERR_PTR(rc);
}

/*
 * Detach the RID (mock devices have nothing else attached) with no page
 * request being reported.  Not in iommufd_device_unbind_wait(): it waits
 * for every ioctl holding the device, a trigger waiting for the rwsem too
 * (and without a bound: the mock device is reused or freed right after).
 */
static void mock_dev_detach(struct iommufd_selftest *sobj)
{
	down_write(&sobj->mdev->iopf_rwsem);
	iommufd_device_pasid_detach(sobj->idev, IOMMU_NO_PASID);
	up_write(&sobj->mdev->iopf_rwsem);
}

/**
 * iommufd_selftest_destroy() - destroy op of IOMMUFD_OBJ_SELFTEST
 * @obj: the object
 */
void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct iommufd_selftest *sobj =
		container_of(obj, struct iommufd_selftest, obj);

	mock_dev_detach(sobj);
	iommufd_device_unbind_wait(sobj->idev);
	mock_dev_destroy(sobj->mdev);
	kfree(sobj);
}

static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	struct iommufd_selftest *sobj;
	u32 flags = 0, pt_id = cmd->id, idev_id;
	int rc;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		flags = cmd->mock_domain_flags.dev_flags;

	sobj = kzalloc(sizeof(*sobj), GFP_KERNEL_ACCOUNT);
	if (!sobj)
		return -ENOMEM;
	rc = iommufd_object_reserve(ucmd->ictx, &sobj->obj,
				    IOMMUFD_OBJ_SELFTEST);
	if (rc)
		goto err_free;
	sobj->mdev = mock_dev_create(flags);
	if (IS_ERR(sobj->mdev)) {
		rc = PTR_ERR(sobj->mdev);
		goto err_abort;
	}
	sobj->idev = iommufd_device_bind(ucmd->ictx, &sobj->mdev->pdev->dev,
					 &idev_id);
	if (IS_ERR(sobj->idev)) {
		rc = PTR_ERR(sobj->idev);
		goto err_mdev;
	}
	down_write(&sobj->mdev->iopf_rwsem);
	rc = iommufd_device_pasid_attach(sobj->idev, IOMMU_NO_PASID, &pt_id);
	up_write(&sobj->mdev->iopf_rwsem);
	if (rc)
		goto err_unbind;

	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_unbind;
	iommufd_object_finalize(ucmd->ictx, &sobj->obj);
	return 0;

err_unbind:
	mock_dev_detach(sobj);
	iommufd_device_unbind_wait(sobj->idev);
err_mdev:
	mock_dev_destroy(sobj->mdev);
err_abort:
	iommufd_object_abort(ucmd->ictx, &sobj->obj);
err_free:
	kfree(sobj);
	return rc;
}

static int iommufd_test_mock_domain_replace(struct iommufd_ucmd *ucmd,
					    struct iommu_test_cmd *cmd)
{
	u32 pt_id = cmd->mock_domain_replace.pt_id;
	struct iommufd_selftest *sobj;
	struct iommufd_object *obj;
	int rc;

	obj = iommufd_get_object(ucmd->ictx, cmd->id, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	sobj = container_of(obj, struct iommufd_selftest, obj);
	down_write(&sobj->mdev->iopf_rwsem);
	rc = iommufd_device_pasid_replace(sobj->idev, IOMMU_NO_PASID, &pt_id);
	up_write(&sobj->mdev->iopf_rwsem);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(obj);
	return rc;
}

static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	u64 start = cmd->add_reserved.start, length = cmd->add_reserved.length;
	struct iommufd_ioas *ioas;
	unsigned long last;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* No owner: it stays reserved as long as the IOAS lives. */
	rc = iopt_reserve(&ioas->iopt, start, last, NULL);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* A HWPT of the mock (@ops, or any if NULL) with a reference, or ERR_PTR. */
static struct iommufd_hw_pagetable *
iommufd_test_get_hwpt(struct iommufd_ucmd *ucmd, u32 id,
		      const struct iommu_domain_ops *ops)
{
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	if (obj->type != IOMMUFD_OBJ_HWPT_PAGING &&
	    obj->type != IOMMUFD_OBJ_HWPT_NESTED) {
		iommufd_put_object(obj);
		return ERR_PTR(-EINVAL);
	}
	hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
	if (ops && hwpt->domain->ops != ops) {
		iommufd_put_object(obj);
		return ERR_PTR(-EINVAL);
	}
	return hwpt;
}

/* The mock device @id (its stdev_id) with a reference held, or ERR_PTR. */
static struct iommufd_selftest *iommufd_test_get_sobj(struct iommufd_ucmd *ucmd,
						      u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_selftest, obj);
}

/* IOMMU_TEST_OP_PASID_ATTACH and _REPLACE: pt_id is written back. */
static int iommufd_test_pasid_change(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd, bool replace)
{
	u32 pasid = replace ? cmd->pasid_replace.pasid :
			      cmd->pasid_attach.pasid;
	u32 *pt_id = replace ? &cmd->pasid_replace.pt_id :
			       &cmd->pasid_attach.pt_id;
	struct iommufd_selftest *sobj;
	int rc;

	sobj = iommufd_test_get_sobj(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	down_write(&sobj->mdev->iopf_rwsem);
	if (replace)
		rc = iommufd_device_pasid_replace(sobj->idev, pasid, pt_id);
	else
		rc = iommufd_device_pasid_attach(sobj->idev, pasid, pt_id);
	up_write(&sobj->mdev->iopf_rwsem);
	if (!rc) {
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		/* An attach the caller does not learn of is undone. */
		if (rc && !replace) {
			down_write(&sobj->mdev->iopf_rwsem);
			iommufd_device_pasid_detach(sobj->idev, pasid);
			up_write(&sobj->mdev->iopf_rwsem);
		}
	}
	iommufd_put_object(&sobj->obj);
	return rc;
}

static int iommufd_test_pasid_detach(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct iommufd_selftest *sobj;

	sobj = iommufd_test_get_sobj(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	down_write(&sobj->mdev->iopf_rwsem);
	iommufd_device_pasid_detach(sobj->idev, cmd->pasid_detach.pasid);
	up_write(&sobj->mdev->iopf_rwsem);
	iommufd_put_object(&sobj->obj);
	return 0;
}

/*
 * IOMMU_TEST_OP_PASID_CHECK_HWPT: the domain the IOMMU core holds at the
 * PASID (the attach handle in the group's pasid_array) must be the one of
 * HWPT hwpt_id, or none for 0: else EINVAL.  And the mock device must have
 * that domain set there (for the RID the mock keeps no record): else EIO.
 * Under the group's attach mutex, so that no attach or detach of iommufd
 * changes either meanwhile.
 */
static int iommufd_test_pasid_check_hwpt(struct iommufd_ucmd *ucmd,
					 struct iommu_test_cmd *cmd)
{
	struct iommu_domain *want = NULL, *core = NULL, *set;
	u32 pasid = cmd->pasid_check.pasid;
	struct iommufd_hw_pagetable *hwpt = NULL;
	struct iommu_attach_handle *handle;
	struct iommufd_selftest *sobj;
	struct iommufd_group *igroup;
	int rc = 0;

	sobj = iommufd_test_get_sobj(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	if (cmd->pasid_check.hwpt_id) {
		hwpt = iommufd_test_get_hwpt(ucmd, cmd->pasid_check.hwpt_id,
					     NULL);
		if (IS_ERR(hwpt)) {
			rc = PTR_ERR(hwpt);
			goto out_put;
		}
		want = hwpt->domain;
	}
	igroup = sobj->idev->igroup;
	mutex_lock(&igroup->lock);
	handle = iommu_attach_handle_get(igroup->group, pasid, 0);
	if (!IS_ERR(handle))
		core = handle->domain;
	set = pasid == IOMMU_NO_PASID ? want :
	      xa_load(&sobj->mdev->pasids, pasid);
	mutex_unlock(&igroup->lock);
	if (core != want)
		rc = -EINVAL;
	else if (set != want)
		rc = -EIO;
	if (hwpt)
		iommufd_put_object(&hwpt->obj);
out_put:
	iommufd_put_object(&sobj->obj);
	return rc;
}

static int iommufd_test_mock_pasid_fail(struct iommufd_ucmd *ucmd,
					struct iommu_test_cmd *cmd)
{
	struct iommufd_selftest *sobj;

	sobj = iommufd_test_get_sobj(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	xa_lock(&sobj->mdev->pasids);
	sobj->mdev->fail_pasid = cmd->mock_pasid_fail.pasid;
	sobj->mdev->fail_count = cmd->mock_pasid_fail.count;
	xa_unlock(&sobj->mdev->pasids);
	iommufd_put_object(&sobj->obj);
	return 0;
}

/* The struct page behind a user address, with a reference held. */
static int iommufd_test_user_page(unsigned long uaddr, struct page **page)
{
	long n;

	n = get_user_pages_fast(uaddr & PAGE_MASK, 1, 0, page);
	if (n < 0)
		return n;
	return n == 1 ? 0 : -EFAULT;
}

/* Every IOVA of the range must translate to the memory behind @uptr. */
static int iommufd_test_md_check_map(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	unsigned long iova = cmd->check_map.iova, uptr = cmd->check_map.uptr;
	unsigned long length = cmd->check_map.length, end;
	struct iommufd_hw_pagetable *hwpt;
	struct page *page;
	phys_addr_t pa;
	int rc = 0;

	if (iova % MOCK_IO_PAGE_SIZE || length % MOCK_IO_PAGE_SIZE ||
	    uptr % MOCK_IO_PAGE_SIZE || check_add_overflow(uptr, length, &end))
		return -EINVAL;
	hwpt = iommufd_test_get_hwpt(ucmd, cmd->id, &mock_paging_ops);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);

	for (; length; length -= MOCK_IO_PAGE_SIZE) {
		rc = iommufd_test_user_page(uptr, &page);
		if (rc)
			break;
		pa = page_to_phys(page) + uptr % PAGE_SIZE;
		put_page(page);
		if (!xa_load(&to_mock_domain(hwpt->domain)->pfns,
			     iova / MOCK_IO_PAGE_SIZE) ||
		    mock_domain_iova_to_phys(hwpt->domain, iova) != pa) {
			rc = -EINVAL;
			break;
		}
		iova += MOCK_IO_PAGE_SIZE;
		uptr += MOCK_IO_PAGE_SIZE;
	}
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/* Every page of the range must be pinned exactly @refs times. */
static int iommufd_test_md_check_refs(struct iommu_test_cmd *cmd)
{
	unsigned long uptr = cmd->check_refs.uptr, end;
	unsigned long length = cmd->check_refs.length;
	struct page *page;
	unsigned int pins;
	int rc;

	if (length % PAGE_SIZE || uptr % PAGE_SIZE ||
	    check_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; length; length -= PAGE_SIZE, uptr += PAGE_SIZE) {
		rc = iommufd_test_user_page(uptr, &page);
		if (rc)
			return rc;
		/* Pins of a compound page are counted elsewhere: skip it. */
		pins = page_ref_count(page) / GUP_PIN_COUNTING_BIAS;
		rc = PageCompound(page) || pins == cmd->check_refs.refs ?
			     0 : -EIO;
		put_page(page);
		if (rc)
			return rc;
	}
	return 0;
}

static int iommufd_test_md_check_iotlb(struct iommufd_ucmd *ucmd,
				       struct iommu_test_cmd *cmd)
{
	struct iommufd_hw_pagetable *hwpt;
	u32 idx = cmd->check_iotlb.id;
	int rc = 0;

	hwpt = iommufd_test_get_hwpt(ucmd, cmd->id, &mock_nested_ops);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	if (idx > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
	    to_mock_nested(hwpt->domain)->iotlb[idx] != cmd->check_iotlb.iotlb)
		rc = -EINVAL;
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_DIRTY: the user bitmap has a bit per @page_size block of
 * the range; mark the mapped I/O page at the start of each block whose bit
 * is set dirty, as a device writing there would, and count them.
 */
static int iommufd_test_dirty(struct iommufd_ucmd *ucmd,
			      struct iommu_test_cmd *cmd)
{
	unsigned long iova = cmd->dirty.iova, length = cmd->dirty.length;
	unsigned long page_size = cmd->dirty.page_size, nbits, i, cur;
	struct iommufd_hw_pagetable *hwpt;
	struct mock_domain *mock;
	unsigned long *bits;
	u64 count = 0;
	void *ent;
	int rc;

	if (!page_size || !length || iova % page_size ||
	    length % page_size || !cmd->dirty.uptr)
		return -EINVAL;
	nbits = length / page_size;
	/* Bounds the kernel copy of the bitmap at 16 MiB. */
	if (nbits > SZ_16M * BITS_PER_BYTE)
		return -EOVERFLOW;
	hwpt = iommufd_test_get_hwpt(ucmd, cmd->id, &mock_paging_ops);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	mock = to_mock_domain(hwpt->domain);
	if (!mock->tracking) {
		rc = -EINVAL;
		goto out_put;
	}
	bits = bitmap_zalloc(nbits, GFP_KERNEL_ACCOUNT);
	if (!bits) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (copy_from_user(bits, u64_to_user_ptr(cmd->dirty.uptr),
			   DIV_ROUND_UP(nbits, BITS_PER_BYTE))) {
		rc = -EFAULT;
		goto out_free;
	}
	for_each_set_bit(i, bits, nbits) {
		cur = (iova + i * page_size) / MOCK_IO_PAGE_SIZE;
		ent = xa_load(&mock->pfns, cur);
		if (!ent)
			continue;
		/* A write anywhere in a large IOPTE dirties all of it. */
		cur = mock_pte_head(ent, cur);
		ent = xa_load(&mock->pfns, cur);
		if (!ent)
			continue;
		xa_store(&mock->pfns, cur,
			 xa_mk_value(xa_to_value(ent) | MOCK_PFN_DIRTY),
			 GFP_KERNEL);
		count++;
	}
	cmd->dirty.out_nr_dirty = count;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	bitmap_free(bits);
out_put:
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/**
 * struct selftest_access - an access object of the test ABI, owned by a
 *			    file whose descriptor is the access's "id"
 * @access: the access object
 * @file: the file
 * @lock: protects @items and @next_id; held across pin and unpin
 * @items: the pinned ranges (struct selftest_access_item)
 * @next_id: ID of the next pinned range
 */
struct selftest_access {
	struct iommufd_access *access;
	struct file *file;
	struct mutex lock; /* @items */
	struct list_head items;
	unsigned int next_id;
};

/**
 * struct selftest_access_item - a range pinned by IOMMU_TEST_OP_ACCESS_PAGES
 * @node: entry in &selftest_access.items
 * @iova: first IOVA
 * @length: length in bytes
 * @id: what IOMMU_TEST_OP_DESTROY_ACCESS_PAGES names it by
 */
struct selftest_access_item {
	struct list_head node;
	unsigned long iova;
	unsigned long length;
	unsigned int id;
};

static const struct file_operations selftest_access_fops;

/* The access behind a descriptor, with a reference on its file. */
static struct selftest_access *selftest_access_get(int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADFD);
	if (file->f_op != &selftest_access_fops) {
		fput(file);
		return ERR_PTR(-EBADFD);
	}
	return file->private_data;
}

/* The unmap callback: unpin every range that meets [iova, iova + length). */
static void selftest_access_unmap(void *data, unsigned long iova,
				  unsigned long length)
{
	unsigned long last = iova + length - 1;
	struct selftest_access *staccess = data;
	struct selftest_access_item *item, *tmp;

	mutex_lock(&staccess->lock);
	list_for_each_entry_safe(item, tmp, &staccess->items, node) {
		if (iova > item->iova + item->length - 1 || last < item->iova)
			continue;
		list_del(&item->node);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		kfree(item);
	}
	mutex_unlock(&staccess->lock);
}

static const struct iommufd_access_ops selftest_access_ops_pin = {
	.needs_pin_pages = 1,
	.unmap = selftest_access_unmap,
};

static const struct iommufd_access_ops selftest_access_ops = {
	.unmap = selftest_access_unmap,
};

static int selftest_access_release(struct inode *inode, struct file *file)
{
	struct selftest_access *staccess = file->private_data;

	if (staccess->access) {
		selftest_access_unmap(staccess, 0, ULONG_MAX);
		iommufd_access_destroy(staccess->access);
	}
	mutex_destroy(&staccess->lock);
	kfree(staccess);
	return 0;
}

static const struct file_operations selftest_access_fops = {
	.owner = THIS_MODULE,
	.release = selftest_access_release,
};

static int iommufd_test_create_access(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd)
{
	u32 flags = cmd->create_access.flags, id;
	struct selftest_access *staccess;
	struct iommufd_access *access;
	struct file *file;
	int fd, rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	staccess = kzalloc(sizeof(*staccess), GFP_KERNEL_ACCOUNT);
	if (!staccess)
		return -ENOMEM;
	INIT_LIST_HEAD(&staccess->items);
	mutex_init(&staccess->lock);
	file = anon_inode_getfile("[iommufd_test_access]",
				  &selftest_access_fops, staccess, O_RDWR);
	if (IS_ERR(file)) {
		mutex_destroy(&staccess->lock);
		kfree(staccess);
		return PTR_ERR(file);
	}
	staccess->file = file;
	/* From here on, fput() frees @staccess. */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_fput;
	}
	access = iommufd_access_create(ucmd->ictx,
				       flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES ?
				       &selftest_access_ops_pin :
				       &selftest_access_ops,
				       staccess, &id);
	if (IS_ERR(access)) {
		rc = PTR_ERR(access);
		goto err_fd;
	}
	rc = iommufd_access_attach(access, cmd->id);
	if (rc)
		goto err_destroy;
	cmd->create_access.out_access_fd = fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_destroy;
	staccess->access = access;
	fd_install(fd, file);
	return 0;

err_destroy:
	iommufd_access_destroy(access);
err_fd:
	put_unused_fd(fd);
err_fput:
	fput(file);
	return rc;
}

static int iommufd_test_access_replace_ioas(struct iommu_test_cmd *cmd)
{
	struct selftest_access *staccess;
	int rc;

	staccess = selftest_access_get(cmd->id);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	rc = iommufd_access_replace(staccess->access,
				    cmd->access_replace_ioas.ioas_id);
	fput(staccess->file);
	return rc;
}

/* @pages must be the pages behind the user addresses from @uptr on. */
static int iommufd_test_check_pages(unsigned long uptr, struct page **pages,
				    unsigned long npages)
{
	struct page *page;
	int rc;

	for (; npages; npages--, pages++, uptr += PAGE_SIZE) {
		rc = iommufd_test_user_page(uptr, &page);
		if (rc)
			return rc;
		put_page(page);
		if (page != *pages)
			return -EBADE;
	}
	return 0;
}

/* Largest range one call may pin or copy (bounds the kernel buffers). */
#define SELFTEST_ACCESS_MAX (16UL * 1024 * 1024)

static int iommufd_test_access_pages(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	unsigned long iova = cmd->access_pages.iova, npages, end;
	unsigned long length = cmd->access_pages.length;
	unsigned long uptr = cmd->access_pages.uptr;
	u32 flags = cmd->access_pages.flags;
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	struct page **pages;
	int rc;

	if (length > SELFTEST_ACCESS_MAX)
		return -ENOMEM;
	if (flags & ~MOCK_FLAGS_ACCESS_WRITE)
		return -EOPNOTSUPP;
	if (!length || check_add_overflow(iova, length, &end))
		return -EINVAL;
	staccess = selftest_access_get(cmd->id);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	if (staccess->access->ops != &selftest_access_ops_pin) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	npages = (ALIGN(end, PAGE_SIZE) - ALIGN_DOWN(iova, PAGE_SIZE)) /
		 PAGE_SIZE;
	pages = kvcalloc(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages) {
		rc = -ENOMEM;
		goto out_put;
	}
	/* Held across pin and record, so an unmap sees the whole range. */
	mutex_lock(&staccess->lock);
	rc = iommufd_access_pin_pages(staccess->access, iova, length, pages,
				      flags & MOCK_FLAGS_ACCESS_WRITE ?
				      IOMMUFD_ACCESS_RW_WRITE : 0);
	if (rc)
		goto out_unlock;
	if (uptr) {
		rc = iommufd_test_check_pages(uptr - iova % PAGE_SIZE, pages,
					      npages);
		if (rc)
			goto out_unpin;
	}
	item = kzalloc(sizeof(*item), GFP_KERNEL_ACCOUNT);
	if (!item) {
		rc = -ENOMEM;
		goto out_unpin;
	}
	item->iova = iova;
	item->length = length;
	item->id = staccess->next_id++;
	list_add_tail(&item->node, &staccess->items);
	cmd->access_pages.out_access_pages_id = item->id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc)
		goto out_unlock;
	list_del(&item->node);
	kfree(item);
out_unpin:
	iommufd_access_unpin_pages(staccess->access, iova, length);
out_unlock:
	mutex_unlock(&staccess->lock);
	kvfree(pages);
out_put:
	fput(staccess->file);
	return rc;
}

static int iommufd_test_access_item_destroy(struct iommu_test_cmd *cmd)
{
	u32 item_id = cmd->destroy_access_pages.access_pages_id;
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	int rc = -ENOENT;

	staccess = selftest_access_get(cmd->id);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	mutex_lock(&staccess->lock);
	list_for_each_entry(item, &staccess->items, node) {
		if (item->id != item_id)
			continue;
		list_del(&item->node);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		kfree(item);
		rc = 0;
		break;
	}
	mutex_unlock(&staccess->lock);
	fput(staccess->file);
	return rc;
}

/*
 * The bounce buffer of IOMMU_TEST_OP_ACCESS_RW: the access is made in
 * pieces of at most this size.  One buffer of the whole length (up to
 * SELFTEST_ACCESS_MAX) would be a high-order allocation, and where memory
 * is fragmented kvzalloc() falls back to vmalloc(), one page allocation
 * per page: with fault injection (iommufd_fail_nth) that made the number
 * of injection points of a call depend on the state of memory, hundreds
 * on a fragmented guest.
 */
#define SELFTEST_ACCESS_CHUNK SZ_64K

static int iommufd_test_access_rw(struct iommu_test_cmd *cmd)
{
	void __user *ubuf = u64_to_user_ptr(cmd->access_rw.uptr);
	unsigned long length = cmd->access_rw.length;
	unsigned long iova = cmd->access_rw.iova;
	u32 flags = cmd->access_rw.flags;
	bool write = flags & MOCK_ACCESS_RW_WRITE;
	struct selftest_access *staccess;
	unsigned int rw_flags = 0;
	unsigned long done, n, last;
	void *tmp;
	int rc = 0;

	if (length > SELFTEST_ACCESS_MAX)
		return -ENOMEM;
	/* What iommufd_access_rw() answers for the whole range. */
	if (length && check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH))
		return -EOPNOTSUPP;
	if (write)
		rw_flags |= IOMMUFD_ACCESS_RW_WRITE;
	/* Not through the mapping process's mm: our kthread path. */
	if (flags & MOCK_ACCESS_RW_SLOW_PATH)
		rw_flags |= IOMMUFD_ACCESS_RW_KTHREAD;
	staccess = selftest_access_get(cmd->id);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	tmp = kzalloc(min(length, SELFTEST_ACCESS_CHUNK), GFP_KERNEL_ACCOUNT);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	/* A zero length still goes to iommufd_access_rw(), for its errno. */
	done = 0;
	do {
		n = min(length - done, SELFTEST_ACCESS_CHUNK);
		if (write && copy_from_user(tmp, ubuf + done, n)) {
			rc = -EFAULT;
			break;
		}
		rc = iommufd_access_rw(staccess->access, iova + done, tmp, n,
				       rw_flags);
		if (rc)
			break;
		if (!write && copy_to_user(ubuf + done, tmp, n)) {
			rc = -EFAULT;
			break;
		}
		done += n;
	} while (done < length);
	kfree(tmp);
out_put:
	fput(staccess->file);
	return rc;
}

/*
 * IOMMU_TEST_OP_TRIGGER_IOPF: the mock device bound as @dev_id sends a
 * page request, the last of group @grpid, with @pasid unless it is 0.
 * The IOMMU core answers it itself when nothing handles it, so this
 * succeeds either way.
 */
static int iommufd_test_trigger_iopf(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct iopf_fault evt = {
		.fault = {
			.type = IOMMU_FAULT_PAGE_REQ,
			.prm = {
				.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
				.pasid = cmd->trigger_iopf.pasid,
				.grpid = cmd->trigger_iopf.grpid,
				.perm = cmd->trigger_iopf.perm,
				.addr = cmd->trigger_iopf.addr,
			},
		},
	};
	struct iommufd_device *idev;
	struct mock_dev *mdev;

	idev = iommufd_get_device(ucmd->ictx, cmd->trigger_iopf.dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	if (!iommufd_selftest_is_mock_dev(idev->dev)) {
		iommufd_put_object(&idev->obj);
		return -EINVAL;
	}
	if (evt.fault.prm.pasid != IOMMU_NO_PASID)
		evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
	mdev = to_mock_dev(idev->dev);
	down_read(&mdev->iopf_rwsem);
	atomic64_inc(&mock_iopf_reported);
	iommu_report_device_fault(idev->dev, &evt);
	up_read(&mdev->iopf_rwsem);
	iommufd_put_object(&idev->obj);
	return 0;
}

/**
 * iommufd_test() - ioctl(IOMMU_TEST_CMD)
 * @ucmd: the call; struct iommu_test_cmd
 *
 * Return: 0 or a negative errno; -EOPNOTSUPP for an operation this mock
 * does not implement.
 */
int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_map(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_md_check_refs(cmd);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return iommufd_test_md_check_iotlb(ucmd, cmd);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(cmd);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_access_item_destroy(cmd);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(cmd);
	case IOMMU_TEST_OP_DIRTY:
		return iommufd_test_dirty(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return iommufd_test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_ATTACH:
		return iommufd_test_pasid_change(ucmd, cmd, false);
	case IOMMU_TEST_OP_PASID_REPLACE:
		return iommufd_test_pasid_change(ucmd, cmd, true);
	case IOMMU_TEST_OP_PASID_DETACH:
		return iommufd_test_pasid_detach(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return iommufd_test_pasid_check_hwpt(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_PASID_FAIL:
		return iommufd_test_mock_pasid_fail(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* Mainline's smallest batch element: an index and a count. */
		if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(u32))
			return -EINVAL;
		WRITE_ONCE(iommufd_test_memory_limit, cmd->memory_limit.limit);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * debugfs iommufd_pasid_mock/iopf: the page request groups the mock
 * reported and the answers it got, by code; one line.
 */
static int mock_iopf_show(struct seq_file *m, void *data)
{
	seq_printf(m, "reported %lld success %lld invalid %lld failure %lld\n",
		   atomic64_read(&mock_iopf_reported),
		   atomic64_read(&mock_iopf_answers[IOMMU_PAGE_RESP_SUCCESS]),
		   atomic64_read(&mock_iopf_answers[IOMMU_PAGE_RESP_INVALID]),
		   atomic64_read(&mock_iopf_answers[IOMMU_PAGE_RESP_FAILURE]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mock_iopf);

/**
 * iommufd_test_init() - register the mock IOMMU
 *
 * Return: 0 or a negative errno.
 */
int iommufd_test_init(void)
{
	int rc;

	mock_iopf_queue = iopf_queue_alloc("iommufd-mock-iopfq");
	if (!mock_iopf_queue)
		return -ENOMEM;
	mock_fwnode = fwnode_create_software_node(NULL, NULL);
	if (IS_ERR(mock_fwnode)) {
		rc = PTR_ERR(mock_fwnode);
		goto err_queue;
	}
	rc = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, "iommufd_mock");
	if (rc)
		goto err_node;
	mock_iommu.max_pasids = 1U << MOCK_PASID_WIDTH;
	/* With no hwdev, the core keeps the fwnode set here. */
	mock_iommu.fwnode = mock_fwnode;
	rc = iommu_device_register(&mock_iommu, &mock_ops, NULL);
	if (rc)
		goto err_sysfs;
	/* Test aid only: no error if debugfs is absent. */
	mock_debugfs = debugfs_create_dir("iommufd_pasid_mock", NULL);
	debugfs_create_file("iopf", 0400, mock_debugfs, NULL, &mock_iopf_fops);
	pr_warn("test build: IOMMU_TEST_CMD and a mock IOMMU are enabled\n");
	return 0;

err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_node:
	fwnode_remove_software_node(mock_fwnode);
err_queue:
	iopf_queue_free(mock_iopf_queue);
	return rc;
}

/**
 * iommufd_test_exit() - unregister the mock IOMMU
 *
 * Every mock device in use is gone by now (each test object held a
 * reference on the module); the idle ones go here.
 */
void iommufd_test_exit(void)
{
	mock_dev_remove_idle();
	debugfs_remove_recursive(mock_debugfs);
	iommu_device_unregister(&mock_iommu);
	iommu_device_sysfs_remove(&mock_iommu);
	fwnode_remove_software_node(mock_fwnode);
	iopf_queue_free(mock_iopf_queue);
}
