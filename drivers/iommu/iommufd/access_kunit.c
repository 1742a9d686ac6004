// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the access object kAPI, as an emulated device's driver
 * uses it: a context opened on /dev/iommu, an IOAS mapping user memory of
 * the test thread, and a fake driver that pins pages and unpins them when
 * its unmap callback asks.
 */
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/iommufd_pasid.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(IOMMUFD_PASID);

#define PROT (IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE)
#define IOVA SZ_1M

/**
 * struct fake_drv - an emulated device's driver
 * @access: its access object
 * @pin_iova: the range it holds pinned, if @pinned
 * @pin_len: length of that range
 * @pinned: it holds a pin
 * @refuse: its unmap callback does not unpin (a broken driver)
 * @unmap_calls: number of unmap callbacks
 * @unmap_iova: range of the last callback
 * @unmap_len: its length
 */
struct fake_drv {
	struct iommufd_access *access;
	unsigned long pin_iova, pin_len;
	bool pinned;
	bool refuse;
	int unmap_calls;
	unsigned long unmap_iova, unmap_len;
};

static void fake_unmap(void *data, unsigned long iova, unsigned long length)
{
	struct fake_drv *drv = data;

	drv->unmap_calls++;
	drv->unmap_iova = iova;
	drv->unmap_len = length;
	if (drv->pinned && !drv->refuse &&
	    drv->pin_iova <= iova + (length - 1) &&
	    iova <= drv->pin_iova + (drv->pin_len - 1)) {
		iommufd_access_unpin_pages(drv->access, drv->pin_iova,
					   drv->pin_len);
		drv->pinned = false;
	}
}

static const struct iommufd_access_ops pin_ops = {
	.needs_pin_pages = 1,
	.unmap = fake_unmap,
};

static const struct iommufd_access_ops rw_ops = {
	.unmap = fake_unmap,
};

/**
 * struct env - what every test starts from
 * @file: an open /dev/iommu
 * @ictx: its context
 * @ioas: an IOAS in it
 * @buf: four pages of the test thread's memory
 * @drv: the fake driver, its access created but not attached
 */
struct env {
	struct file *file;
	struct iommufd_ctx *ictx;
	struct iommufd_ioas *ioas;
	unsigned long buf;
	struct fake_drv drv;
};

static void env_exit(struct kunit_resource *res)
{
	struct env *env = res->data;

	if (env->drv.access)
		iommufd_access_destroy(env->drv.access);
	iommufd_ctx_put(env->ictx);
	fput(env->file);
}

static struct env *env_init(struct kunit *test,
			    const struct iommufd_access_ops *ops)
{
	struct env *env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	u32 id;

	KUNIT_ASSERT_NOT_NULL(test, env);
	env->buf = kunit_vm_mmap(test, NULL, 0, 4 * PAGE_SIZE,
				 PROT_READ | PROT_WRITE,
				 MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, env->buf, 0, "no user memory for the test");
	env->file = filp_open("/dev/iommu", O_RDWR, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(env->file), "no /dev/iommu");
	env->ictx = iommufd_ctx_from_file(env->file);
	KUNIT_ASSERT_FALSE(test, IS_ERR(env->ictx));
	env->ioas = iommufd_ioas_create(env->ictx);
	KUNIT_ASSERT_FALSE(test, IS_ERR(env->ioas));
	env->drv.access = iommufd_access_create(env->ictx, ops, &env->drv,
						&id);
	KUNIT_ASSERT_FALSE(test, IS_ERR(env->drv.access));
	KUNIT_EXPECT_NE(test, id, env->ioas->obj.id);
	kunit_alloc_resource(test, NULL, env_exit, GFP_KERNEL, env);
	return env;
}

static s64 pinned_vm(void)
{
	return atomic64_read(&current->mm->pinned_vm);
}

static unsigned long user_pfn(struct kunit *test, unsigned long uaddr)
{
	struct page *page;
	unsigned long pfn;

	KUNIT_ASSERT_EQ(test, get_user_pages_fast(uaddr, 1, 0, &page), 1);
	pfn = page_to_pfn(page);
	put_page(page);
	return pfn;
}

static void map(struct kunit *test, struct env *env, unsigned long iova,
		unsigned long off, unsigned long len, int prot)
{
	KUNIT_ASSERT_EQ(test, iopt_map_user(&env->ioas->iopt, &iova,
					    env->buf + off, len, prot, true),
			0);
}

/* Pins are taken on demand, hand out the user's pages, and are charged. */
static void access_kunit_pin(struct kunit *test)
{
	struct env *env = env_init(test, &pin_ops);
	struct iommufd_access *access = env->drv.access;
	unsigned long iova = SZ_2M;
	s64 base = pinned_vm();
	struct page *pages[3];
	int i;

	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IOVA, PAGE_SIZE,
						       pages, 0), -ENOENT);
	map(test, env, IOVA, 0, 2 * PAGE_SIZE, PROT);
	map(test, env, IOVA + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PAGE_SIZE,
	    IOMMU_READ);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&env->ioas->iopt), 1);

	KUNIT_ASSERT_EQ(test, iommufd_access_attach(access, env->ioas->obj.id),
			0);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(access, env->ioas->obj.id),
			-EINVAL);
	/* A driver that pins needs whole pages. */
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&env->ioas->iopt),
			PAGE_SIZE);

	/* Across both mappings, read only. */
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IOVA + PAGE_SIZE,
						       2 * PAGE_SIZE, pages, 0),
			0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, page_to_pfn(pages[i]),
				user_pfn(test, env->buf + (i + 1) * PAGE_SIZE));
	/* The same page again: no new charge. */
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IOVA + PAGE_SIZE,
						       PAGE_SIZE, pages + 2,
						       IOMMUFD_ACCESS_RW_WRITE),
			0);
	KUNIT_EXPECT_PTR_EQ(test, pages[2], pages[0]);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	iommufd_access_unpin_pages(access, IOVA + PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	iommufd_access_unpin_pages(access, IOVA + PAGE_SIZE, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);

	/* The errors, each leaving nothing pinned. */
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IOVA + PAGE_SIZE,
						       2 * PAGE_SIZE, pages,
						       IOMMUFD_ACCESS_RW_WRITE),
			-EPERM);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IOVA + 1,
						       PAGE_SIZE, pages, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IOVA,
						       4 * PAGE_SIZE, pages, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IOVA, 0, pages,
						       0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, ULONG_MAX,
						       2, pages, 0),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	/* A byte-granular mapping is refused while the driver pins. */
	KUNIT_EXPECT_EQ(test, iopt_map_user(&env->ioas->iopt, &iova,
					    env->buf + 8, PAGE_SIZE, PROT,
					    true), -EINVAL);

	iommufd_access_detach(access);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&env->ioas->iopt), 1);
}

/* Reads and writes at any byte, through the mm and through pins. */
static void access_kunit_rw(struct kunit *test)
{
	struct env *env = env_init(test, &rw_ops);
	struct iommufd_access *access = env->drv.access;
	char out[64], in[64];
	s64 base = pinned_vm();
	unsigned int flags;

	memset(out, 0xa5, sizeof(out));
	/* Byte granular mappings, across two of them. */
	map(test, env, IOVA + 1, 1, PAGE_SIZE + 10, PROT);
	map(test, env, IOVA + PAGE_SIZE + 11, PAGE_SIZE + 11, 100, IOMMU_READ);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(access, env->ioas->obj.id),
			0);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&env->ioas->iopt), 1);

	for (flags = 0; flags <= IOMMUFD_ACCESS_RW_KTHREAD;
	     flags += IOMMUFD_ACCESS_RW_KTHREAD) {
		out[0] = flags;
		KUNIT_ASSERT_EQ(test,
				iommufd_access_rw(access, IOVA + PAGE_SIZE - 20,
						  out, 30,
						  flags |
						  IOMMUFD_ACCESS_RW_WRITE),
				0);
		KUNIT_ASSERT_EQ(test,
				copy_from_user(in, (void __user *)(env->buf +
								   PAGE_SIZE -
								   20), 30),
				0);
		KUNIT_EXPECT_EQ(test, memcmp(in, out, 30), 0);
		/* Reading across both mappings. */
		memset(in, 0, sizeof(in));
		KUNIT_ASSERT_EQ(test,
				iommufd_access_rw(access, IOVA + PAGE_SIZE - 20,
						  in, sizeof(in), flags),
				0);
		KUNIT_EXPECT_EQ(test, memcmp(in, out, 30), 0);
		KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	}

	/* Writing the read-only mapping, an unmapped byte, nothing. */
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IOVA + PAGE_SIZE + 11,
						out, 1,
						IOMMUFD_ACCESS_RW_WRITE),
			-EPERM);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IOVA, in, 2, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IOVA + PAGE_SIZE + 100,
						in, 20, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IOVA + 1, in, 0, 0),
			-EINVAL);
	iommufd_access_detach(access);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IOVA + 1, in, 1, 0),
			-ENOENT);
}

/*
 * The kthread path over pages pinned already (here by the driver) copies
 * without a pin of its own; over a range partly pinned it pins the rest
 * for the copy only; within one page nothing pins it pins that page
 * short-term.  Each way the data reaches the user's memory and the charge
 * is only the driver's.
 */
static void access_kunit_rw_pinned(struct kunit *test)
{
	struct env *env = env_init(test, &pin_ops);
	struct fake_drv *drv = &env->drv;
	unsigned int kt = IOMMUFD_ACCESS_RW_KTHREAD;
	char out[40], in[40];
	s64 base = pinned_vm();
	struct page *page;
	unsigned int i;

	for (i = 0; i < sizeof(out); i++)
		out[i] = i + 1;
	map(test, env, IOVA, 0, 2 * PAGE_SIZE, PROT);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(drv->access,
						    env->ioas->obj.id), 0);
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(drv->access, IOVA,
						       PAGE_SIZE, &page,
						       IOMMUFD_ACCESS_RW_WRITE),
			0);
	drv->pin_iova = IOVA;
	drv->pin_len = PAGE_SIZE;
	drv->pinned = true;

	/* Within the pinned page. */
	KUNIT_ASSERT_EQ(test, iommufd_access_rw(drv->access, IOVA + 100, out,
						sizeof(out),
						kt | IOMMUFD_ACCESS_RW_WRITE),
			0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 1);
	KUNIT_ASSERT_EQ(test, copy_from_user(in, (void __user *)(env->buf +
								  100),
					     sizeof(in)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);
	memset(in, 0, sizeof(in));
	KUNIT_ASSERT_EQ(test, iommufd_access_rw(drv->access, IOVA + 100, in,
						sizeof(in), kt), 0);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);

	/* Across into the page nothing pins. */
	KUNIT_ASSERT_EQ(test, iommufd_access_rw(drv->access,
						IOVA + PAGE_SIZE - 20, out,
						sizeof(out),
						kt | IOMMUFD_ACCESS_RW_WRITE),
			0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 1);
	memset(in, 0, sizeof(in));
	KUNIT_ASSERT_EQ(test, iommufd_access_rw(drv->access,
						IOVA + PAGE_SIZE - 20, in,
						sizeof(in), kt), 0);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(in, (void __user *)(env->buf +
								  PAGE_SIZE -
								  20),
					     sizeof(in)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);

	iommufd_access_unpin_pages(drv->access, IOVA, PAGE_SIZE);
	drv->pinned = false;
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);

	/* Within a page nothing pins: a short-term pin, not charged. */
	for (i = 0; i < sizeof(out); i++)
		out[i] = 100 - i;
	KUNIT_ASSERT_EQ(test, iommufd_access_rw(drv->access,
						IOVA + PAGE_SIZE + 8, out,
						sizeof(out),
						kt | IOMMUFD_ACCESS_RW_WRITE),
			0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_ASSERT_EQ(test, copy_from_user(in, (void __user *)(env->buf +
								  PAGE_SIZE +
								  8),
					     sizeof(in)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);
	memset(in, 0, sizeof(in));
	KUNIT_ASSERT_EQ(test, iommufd_access_rw(drv->access,
						IOVA + PAGE_SIZE + 8, in,
						sizeof(in), kt), 0);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);
	iommufd_access_detach(drv->access);
}

/*
 * Userspace unmapping what a driver pinned: the driver is told and
 * unpins, and the unmap goes through; a driver that does not unpin makes
 * the unmap fail, and new pins of the range are refused from then on.
 */
static void access_kunit_unmap_notify(struct kunit *test)
{
	struct env *env = env_init(test, &pin_ops);
	struct fake_drv *drv = &env->drv;
	unsigned long unmapped;
	struct page *pages[2];
	s64 base = pinned_vm();

	map(test, env, IOVA, 0, 2 * PAGE_SIZE, PROT);
	map(test, env, IOVA + 2 * PAGE_SIZE, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
	    PROT);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(drv->access,
						    env->ioas->obj.id), 0);

	/* Unmapping what is not pinned does not bother the driver. */
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(drv->access,
						       IOVA + 2 * PAGE_SIZE,
						       PAGE_SIZE, pages, 0),
			0);
	drv->pinned = true;
	drv->pin_iova = IOVA + 2 * PAGE_SIZE;
	drv->pin_len = PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, iopt_unmap(&env->ioas->iopt, IOVA,
					 2 * PAGE_SIZE, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, drv->unmap_calls, 0);

	/* Unmapping the pinned area: called once, for the area. */
	KUNIT_ASSERT_EQ(test, iopt_unmap(&env->ioas->iopt, IOVA,
					 4 * PAGE_SIZE, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, drv->unmap_calls, 1);
	KUNIT_EXPECT_EQ(test, drv->unmap_iova, IOVA + 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, drv->unmap_len, 2 * PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, drv->pinned);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);

	/* A driver that does not unpin: the unmap gives up. */
	map(test, env, IOVA, 0, 2 * PAGE_SIZE, PROT);
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(drv->access, IOVA,
						       2 * PAGE_SIZE, pages,
						       0), 0);
	drv->pinned = true;
	drv->pin_iova = IOVA;
	drv->pin_len = 2 * PAGE_SIZE;
	drv->refuse = true;
	drv->unmap_calls = 0;
	KUNIT_EXPECT_EQ(test, iopt_unmap(&env->ioas->iopt, IOVA,
					 2 * PAGE_SIZE, &unmapped),
			-EDEADLOCK);
	KUNIT_EXPECT_GT(test, drv->unmap_calls, 1);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	/* The range is still mapped, but closed to new pins. */
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(drv->access, IOVA,
						       PAGE_SIZE, pages, 0),
			-EINVAL);
	drv->refuse = false;
	KUNIT_ASSERT_EQ(test, iopt_unmap(&env->ioas->iopt, IOVA,
					 2 * PAGE_SIZE, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
}

/*
 * Detaching (or moving) an access with pins asks the driver to unpin
 * everything; the IOAS it is attached to cannot be destroyed, nor can the
 * access from userspace.
 */
static void access_kunit_detach_pinned(struct kunit *test)
{
	struct env *env = env_init(test, &pin_ops);
	struct fake_drv *drv = &env->drv;
	struct iommufd_ioas *other;
	struct page *pages[2];
	char byte;
	u32 other_id;
	s64 base = pinned_vm();

	other = iommufd_ioas_create(env->ictx);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	other_id = other->obj.id;
	map(test, env, IOVA, 0, 2 * PAGE_SIZE, PROT);
	KUNIT_EXPECT_EQ(test, iommufd_access_replace(drv->access,
						     env->ioas->obj.id),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(drv->access, 0), -ENOENT);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(drv->access,
						    env->ioas->obj.id), 0);
	KUNIT_EXPECT_EQ(test, iommufd_object_destroy_user(env->ictx,
							  env->ioas->obj.id),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, iommufd_object_destroy_user(env->ictx,
							  drv->access->obj.id),
			-EBUSY);

	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(drv->access, IOVA,
						       2 * PAGE_SIZE, pages,
						       0), 0);
	drv->pinned = true;
	drv->pin_iova = IOVA;
	drv->pin_len = 2 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);

	/* Replace: unpinned from the old IOAS, which is free again. */
	KUNIT_ASSERT_EQ(test, iommufd_access_replace(drv->access, other_id), 0);
	KUNIT_EXPECT_EQ(test, drv->unmap_calls, 1);
	KUNIT_EXPECT_EQ(test, drv->unmap_len, ULONG_MAX);
	KUNIT_EXPECT_FALSE(test, drv->pinned);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&env->ioas->iopt), 1);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(drv->access, IOVA, &byte, 1,
						0), -ENOENT);

	/* Back, pin, detach. */
	KUNIT_ASSERT_EQ(test, iommufd_access_replace(drv->access,
						     env->ioas->obj.id), 0);
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(drv->access, IOVA,
						       PAGE_SIZE, pages, 0), 0);
	drv->pinned = true;
	drv->pin_len = PAGE_SIZE;
	iommufd_access_detach(drv->access);
	KUNIT_EXPECT_FALSE(test, drv->pinned);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(drv->access, IOVA,
						       PAGE_SIZE, pages, 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_object_destroy_user(env->ictx,
							  other_id), 0);

	/* Destroying an attached access detaches it. */
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(drv->access,
						    env->ioas->obj.id), 0);
	iommufd_access_destroy(drv->access);
	drv->access = NULL;
	KUNIT_EXPECT_EQ(test, iommufd_object_destroy_user(env->ictx,
							  env->ioas->obj.id),
			0);
}

/* A driver that pins cannot attach to byte-granular mappings. */
static void access_kunit_alignment(struct kunit *test)
{
	struct env *env = env_init(test, &pin_ops);

	map(test, env, IOVA + 8, 8, PAGE_SIZE, PROT);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(env->drv.access,
						    env->ioas->obj.id),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&env->ioas->iopt), 1);
	KUNIT_ASSERT_EQ(test, iopt_unmap_all(&env->ioas->iopt, NULL), 0);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(env->drv.access,
						    env->ioas->obj.id), 0);
	iommufd_access_detach(env->drv.access);
}

static struct kunit_case access_kunit_cases[] = {
	KUNIT_CASE(access_kunit_pin),
	KUNIT_CASE(access_kunit_rw),
	KUNIT_CASE(access_kunit_rw_pinned),
	KUNIT_CASE(access_kunit_unmap_notify),
	KUNIT_CASE(access_kunit_detach_pinned),
	KUNIT_CASE(access_kunit_alignment),
	{}
};

static struct kunit_suite access_kunit_suite = {
	.name = "iommufd_pasid_access",
	.test_cases = access_kunit_cases,
};

kunit_test_suite(access_kunit_suite);

MODULE_DESCRIPTION("KUnit tests of the iommufd_pasid access objects");
MODULE_LICENSE("GPL");
