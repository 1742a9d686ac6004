// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the io_pagetable: every iommu_domain of an IOAS holds
 * exactly the IOAS mappings, through map, unmap, copy, failures and
 * domains added or removed later.  The domains are fakes whose map_pages
 * and unmap_pages record each page; the memory is real user memory of the
 * test thread, pinned (and counted in its mm->pinned_vm) only while a
 * domain needs it.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/xarray.h>
#include <trace/events/kmem.h>

#include "iommufd_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define PROT (IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE)

/**
 * struct fake_domain - an iommu_domain that records its mappings
 * @domain: the domain
 * @test: the running test, for reporting driver misuse
 * @ptes: IOVA page number -> xa_mk_value(pfn)
 * @map_calls: number of map_pages calls so far
 * @fail_at: map_pages call number that fails with -EIO, or -1
 */
struct fake_domain {
	struct iommu_domain domain;
	struct kunit *test;
	struct xarray ptes;
	int map_calls;
	int fail_at;
};

static struct fake_domain *to_fake(struct iommu_domain *domain)
{
	return container_of(domain, struct fake_domain, domain);
}

static int fake_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct fake_domain *fake = to_fake(domain);
	size_t i, n = pgsize * pgcount / PAGE_SIZE;

	if (fake->map_calls++ == fake->fail_at)
		return -EIO;
	KUNIT_EXPECT_EQ(fake->test, prot, PROT);
	for (i = 0; i < n; i++) {
		void *old = xa_store(&fake->ptes, (iova >> PAGE_SHIFT) + i,
				     xa_mk_value(PHYS_PFN(paddr) + i), gfp);

		/* Mapping over a mapping is a bug in the caller. */
		KUNIT_EXPECT_NULL(fake->test, old);
	}
	*mapped = pgsize * pgcount;
	return 0;
}

static size_t fake_unmap_pages(struct iommu_domain *domain,
			       unsigned long iova, size_t pgsize,
			       size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct fake_domain *fake = to_fake(domain);
	size_t i, n = pgsize * pgcount / PAGE_SIZE;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_NOT_NULL(fake->test,
				      xa_erase(&fake->ptes,
					       (iova >> PAGE_SHIFT) + i));
	return pgsize * pgcount;
}

static const struct iommu_domain_ops fake_ops = {
	.map_pages = fake_map_pages,
	.unmap_pages = fake_unmap_pages,
};

static void fake_domain_exit(struct kunit_resource *res)
{
	struct fake_domain *fake = res->data;

	xa_destroy(&fake->ptes);
}

static struct fake_domain *fake_domain(struct kunit *test,
				       unsigned long aperture_end)
{
	struct fake_domain *fake = kunit_kzalloc(test, sizeof(*fake),
						 GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fake);
	fake->domain.type = IOMMU_DOMAIN_UNMANAGED;
	fake->domain.ops = &fake_ops;
	fake->domain.pgsize_bitmap = PAGE_SIZE;
	fake->domain.geometry.aperture_end = aperture_end;
	fake->domain.geometry.force_aperture = true;
	fake->test = test;
	fake->fail_at = -1;
	xa_init(&fake->ptes);
	kunit_alloc_resource(test, NULL, fake_domain_exit, GFP_KERNEL, fake);
	return fake;
}

static unsigned long fake_count(struct fake_domain *fake)
{
	unsigned long index, n = 0;
	void *entry;

	xa_for_each(&fake->ptes, index, entry)
		n++;
	return n;
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

/* The domain maps [iova, iova + npages) to the pages at uaddr. */
static void expect_mapped(struct kunit *test, struct fake_domain *fake,
			  unsigned long iova, unsigned long uaddr,
			  unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		void *entry = xa_load(&fake->ptes, (iova >> PAGE_SHIFT) + i);

		KUNIT_ASSERT_NOT_NULL(test, entry);
		KUNIT_EXPECT_EQ(test, xa_to_value(entry),
				user_pfn(test, uaddr + i * PAGE_SIZE));
	}
}

/* @npages of anonymous memory, MAP_PRIVATE or (@shared) MAP_SHARED. */
static unsigned long __user_buf(struct kunit *test, unsigned long npages,
				bool shared)
{
	unsigned long uaddr;

	uaddr = kunit_vm_mmap(test, NULL, 0, npages * PAGE_SIZE,
			      PROT_READ | PROT_WRITE, MAP_ANONYMOUS |
			      (shared ? MAP_SHARED : MAP_PRIVATE), 0);
	KUNIT_ASSERT_NE_MSG(test, uaddr, 0, "no user memory for the test");
	return uaddr;
}

static unsigned long user_buf(struct kunit *test, unsigned long npages)
{
	return __user_buf(test, npages, false);
}

static void iopt_kunit_fill_and_sync(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	struct fake_domain *b = fake_domain(test, ULONG_MAX);
	unsigned long buf = user_buf(test, 16);
	unsigned long iova1 = SZ_1M, iova2, iova3, unmapped;
	struct io_pagetable iopt;

	iopt_init(&iopt);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova1, buf,
					    4 * PAGE_SIZE, PROT, true), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova2, buf + 4 * PAGE_SIZE,
					    2 * PAGE_SIZE, PROT, false), 0);

	/* A domain added later receives the existing mappings. */
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	KUNIT_EXPECT_EQ(test, fake_count(a), 6);
	expect_mapped(test, a, iova1, buf, 4);
	expect_mapped(test, a, iova2, buf + 4 * PAGE_SIZE, 2);

	/* New mappings reach every domain. */
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &b->domain), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova3, buf + 8 * PAGE_SIZE,
					    8 * PAGE_SIZE, PROT, false), 0);
	KUNIT_EXPECT_EQ(test, fake_count(a), 14);
	KUNIT_EXPECT_EQ(test, fake_count(b), 14);
	expect_mapped(test, a, iova3, buf + 8 * PAGE_SIZE, 8);
	expect_mapped(test, b, iova3, buf + 8 * PAGE_SIZE, 8);
	expect_mapped(test, b, iova1, buf, 4);

	/* Unmap leaves every domain. */
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova1, 4 * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake_count(a), 10);
	KUNIT_EXPECT_EQ(test, fake_count(b), 10);
	KUNIT_EXPECT_NULL(test, xa_load(&a->ptes, iova1 >> PAGE_SHIFT));

	/* A removed domain is emptied and no longer updated. */
	iopt_remove_domain(&iopt, &a->domain);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova1, buf, PAGE_SIZE,
					    PROT, false), 0);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_EXPECT_EQ(test, fake_count(b), 11);

	iopt_remove_domain(&iopt, &b->domain);
	KUNIT_EXPECT_EQ(test, fake_count(b), 0);
	iopt_destroy(&iopt);
}

static void iopt_kunit_map_failure_unwinds(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	struct fake_domain *b = fake_domain(test, ULONG_MAX);
	unsigned long buf = user_buf(test, 8);
	unsigned long iova = SZ_1M, unmapped;
	struct io_pagetable iopt;

	iopt_init(&iopt);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &b->domain), 0);

	/* The second domain fails: the first one is unmapped again. */
	b->fail_at = b->map_calls;
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, 8 * PAGE_SIZE,
					    PROT, true), -EIO);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_EXPECT_EQ(test, fake_count(b), 0);
	/* And the IOAS has no trace of it (nothing to unmap is no error). */
	KUNIT_EXPECT_EQ(test, iopt_unmap(&iopt, iova, 8 * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 0);

	/* The first domain fails: nothing reaches the second. */
	b->fail_at = -1;
	a->fail_at = a->map_calls;
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, 8 * PAGE_SIZE,
					    PROT, true), -EIO);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_EXPECT_EQ(test, fake_count(b), 0);

	/* Everything works again afterwards. */
	a->fail_at = -1;
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, 8 * PAGE_SIZE,
					    PROT, true), 0);
	expect_mapped(test, a, iova, buf, 8);
	expect_mapped(test, b, iova, buf, 8);

	iopt_remove_domain(&iopt, &a->domain);
	iopt_remove_domain(&iopt, &b->domain);
	iopt_destroy(&iopt);
}

static void iopt_kunit_add_failure_unwinds(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	unsigned long buf = user_buf(test, 4);
	unsigned long iova1 = SZ_1M, iova2 = SZ_2M;
	struct io_pagetable iopt;
	int calls;

	iopt_init(&iopt);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova1, buf, 2 * PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova2, buf + 2 * PAGE_SIZE,
					    2 * PAGE_SIZE, PROT, true), 0);

	/* Filling fails part way: what was filled is unmapped again. */
	a->fail_at = 1;
	KUNIT_EXPECT_EQ(test, iopt_add_domain(&iopt, &a->domain), -EIO);
	KUNIT_EXPECT_GE(test, a->map_calls, 2);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);

	/* The domain was not kept: later maps do not touch it. */
	calls = a->map_calls;
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova1, buf, PAGE_SIZE,
					    PROT, false), 0);
	KUNIT_EXPECT_EQ(test, a->map_calls, calls);

	/* A domain that cannot map single pages is refused. */
	a->domain.pgsize_bitmap = SZ_2M;
	KUNIT_EXPECT_EQ(test, iopt_add_domain(&iopt, &a->domain), -EINVAL);
	iopt_destroy(&iopt);
}

struct ranges {
	struct iopt_range_visitor visitor;
	unsigned long start[4], last[4];
	int n;
};

static int collect_range(struct iopt_range_visitor *visitor,
			 unsigned long start, unsigned long last)
{
	struct ranges *r = container_of(visitor, struct ranges, visitor);

	if (r->n == ARRAY_SIZE(r->start))
		return -E2BIG;
	r->start[r->n] = start;
	r->last[r->n] = last;
	r->n++;
	return 0;
}

static void iopt_kunit_aperture(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, SZ_4G - 1);
	unsigned long buf = user_buf(test, 1);
	unsigned long iova = SZ_8G, unmapped;
	struct ranges r = { .visitor.visit = collect_range };
	struct io_pagetable iopt;

	a->domain.geometry.aperture_start = SZ_64K;
	iopt_init(&iopt);

	/* A mapping outside the aperture blocks the domain. */
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova, buf, PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_EXPECT_EQ(test, iopt_add_domain(&iopt, &a->domain), -EADDRINUSE);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova, PAGE_SIZE, &unmapped), 0);

	/* Once added, only the aperture is usable. */
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	KUNIT_ASSERT_EQ(test, iopt_walk_usable(&iopt, &r.visitor),
			0);
	KUNIT_ASSERT_EQ(test, r.n, 1);
	KUNIT_EXPECT_EQ(test, r.start[0], SZ_64K);
	KUNIT_EXPECT_EQ(test, r.last[0], SZ_4G - 1);
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, PAGE_SIZE,
					    PROT, true), -EINVAL);
	iova = 0;
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, PAGE_SIZE,
					    PROT, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, PAGE_SIZE,
					    PROT, false), 0);
	KUNIT_EXPECT_GE(test, iova, SZ_64K);
	KUNIT_EXPECT_LT(test, iova, SZ_4G);
	expect_mapped(test, a, iova, buf, 1);

	/* Removing the domain gives the whole space back. */
	iopt_remove_domain(&iopt, &a->domain);
	r.n = 0;
	KUNIT_ASSERT_EQ(test, iopt_walk_usable(&iopt, &r.visitor),
			0);
	KUNIT_ASSERT_EQ(test, r.n, 1);
	KUNIT_EXPECT_EQ(test, r.start[0], 0);
	KUNIT_EXPECT_EQ(test, r.last[0], ULONG_MAX);
	iopt_destroy(&iopt);
}

static void iopt_kunit_copy(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	unsigned long buf = user_buf(test, 8);
	unsigned long src = SZ_1M, dst = 0;
	struct io_pagetable *sd = kunit_kcalloc(test, 2, sizeof(*sd),
						GFP_KERNEL);
	LIST_HEAD(pieces);

	KUNIT_ASSERT_NOT_NULL(test, sd);
	iopt_init(&sd[0]);
	iopt_init(&sd[1]);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&sd[1], &a->domain), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&sd[0], &src, buf, 4 * PAGE_SIZE,
					    PROT, true), 0);
	src += 4 * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, iopt_map_user(&sd[0], &src, buf + 4 * PAGE_SIZE,
					    4 * PAGE_SIZE, PROT, true), 0);

	/* Pages 2..5 of the source, across both of its mappings. */
	KUNIT_ASSERT_EQ(test, iopt_get_pieces(&sd[0], SZ_1M + 2 * PAGE_SIZE,
					      4 * PAGE_SIZE, &pieces), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_pieces(&sd[1], &pieces, 4 * PAGE_SIZE,
					      &dst, PROT, false), 0);
	iopt_free_pieces(&pieces);
	KUNIT_EXPECT_EQ(test, fake_count(a), 4);
	expect_mapped(test, a, dst, buf + 2 * PAGE_SIZE, 4);

	/* The copy keeps the memory after the source lets go of it. */
	iopt_destroy(&sd[0]);
	expect_mapped(test, a, dst, buf + 2 * PAGE_SIZE, 4);
	iopt_remove_domain(&sd[1], &a->domain);
	iopt_destroy(&sd[1]);
}

static s64 pinned_vm(void)
{
	return atomic64_read(&current->mm->pinned_vm);
}

/*
 * Mapping pins nothing; the first domain pins every mapping once, more
 * domains pin nothing more, and the last one to go unpins.  Unmapping
 * while a domain is there unpins the mapping.
 */
static void iopt_kunit_lazy_pin(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	struct fake_domain *b = fake_domain(test, ULONG_MAX);
	unsigned long buf = user_buf(test, 8);
	unsigned long iova1 = SZ_1M, iova2 = SZ_2M, unmapped;
	s64 base = pinned_vm();
	struct io_pagetable iopt;

	iopt_init(&iopt);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&iopt), 1);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova1, buf, 4 * PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova2, buf + 2 * PAGE_SIZE,
					    4 * PAGE_SIZE, PROT, true), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);

	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&iopt), PAGE_SIZE);
	/* Two mappings of pages 2 and 3: separate records, both pinned. */
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 8);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &b->domain), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 8);
	expect_mapped(test, b, iova2, buf + 2 * PAGE_SIZE, 4);

	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova2, 4 * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 4);
	iopt_remove_domain(&iopt, &a->domain);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 4);
	iopt_remove_domain(&iopt, &b->domain);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&iopt), 1);
	iopt_destroy(&iopt);
}

/* Number of physically contiguous runs in the @npages pages at @uaddr. */
static unsigned long user_runs(struct kunit *test, unsigned long uaddr,
			       unsigned long npages)
{
	unsigned long i, runs = 0, prev = 0;

	for (i = 0; i < npages; i++) {
		unsigned long pfn = user_pfn(test, uaddr + i * PAGE_SIZE);

		if (!i || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
	return runs;
}

/*
 * Allocation calls made by iommufd_pasid's own code in the test thread,
 * seen through the kmalloc and kmem_cache_alloc tracepoints: the call
 * sites are kept and told apart by module afterwards (the allocator's
 * internals, the maple tree's nodes and the fake domain's XArray are not
 * counted).
 */
#define ALLOC_SITES 32

struct alloc_sites {
	struct task_struct *task;
	unsigned int n;
	unsigned long site[ALLOC_SITES];
};

static void alloc_site(struct alloc_sites *a, unsigned long call_site)
{
	if (current != a->task)
		return;
	if (a->n < ALLOC_SITES)
		a->site[a->n] = call_site;
	a->n++;
}

static void probe_kmalloc(void *data, unsigned long call_site,
			  const void *ptr, size_t bytes_req,
			  size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	alloc_site(data, call_site);
}

static void probe_kmem_cache_alloc(void *data, unsigned long call_site,
				   const void *ptr, struct kmem_cache *s,
				   gfp_t gfp_flags, int node)
{
	alloc_site(data, call_site);
}

static void alloc_sites_start(struct kunit *test, struct alloc_sites *a)
{
	int rc;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "no tracepoints to count allocations");
	a->task = current;
	a->n = 0;
	rc = register_trace_kmalloc(probe_kmalloc, a);
	KUNIT_ASSERT_EQ(test, rc, 0);
	rc = register_trace_kmem_cache_alloc(probe_kmem_cache_alloc, a);
	KUNIT_ASSERT_EQ(test, rc, 0);
}

/* Stop counting; return the calls made from iommufd_pasid's code. */
static unsigned int alloc_sites_stop(struct kunit *test,
				     struct alloc_sites *a)
{
	unsigned int i, n = 0;
	char sym[KSYM_SYMBOL_LEN];

	unregister_trace_kmem_cache_alloc(probe_kmem_cache_alloc, a);
	unregister_trace_kmalloc(probe_kmalloc, a);
	tracepoint_synchronize_unregister();
	KUNIT_ASSERT_LE(test, a->n, ALLOC_SITES);
	for (i = 0; i < a->n; i++) {
		snprintf(sym, sizeof(sym), "%pS", (void *)a->site[i]);
		if (!strstr(sym, "[iommufd_pasid]"))
			continue;
		kunit_info(test, "allocation at %s\n", sym);
		n++;
	}
	return n;
}

/*
 * IOMMU_IOAS_MAP of one page with a domain: the record of the memory and
 * the area are the only allocations of iommufd_pasid's own.  No array of
 * areas for the one piece, no array of IOPT_PIN_CHUNK pages for GUP, no
 * page of scatterlist for a single physically contiguous stretch (each
 * of those was an allocation call per map).  The same with the memory in
 * two stretches, which then takes a scatterlist.
 */
static void iopt_kunit_map_allocs(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	struct alloc_sites *sites = kunit_kzalloc(test, sizeof(*sites),
						  GFP_KERNEL);
	unsigned long buf = __user_buf(test, 4, true);
	unsigned long iova = SZ_1M, unmapped;
	struct io_pagetable iopt;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, sites);
	/* Shared anonymous memory: 4 KiB pages; touched. */
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, put_user(1, (char __user *)(buf +
							     i * PAGE_SIZE)), 0);
	iopt_init(&iopt);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	/* Once without counting: the fake domain's XArray makes its node. */
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova, buf, PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova, PAGE_SIZE, &unmapped), 0);

	alloc_sites_start(test, sites);
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_EXPECT_EQ(test, alloc_sites_stop(test, sites), 2);
	expect_mapped(test, a, iova, buf, 1);
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova, PAGE_SIZE, &unmapped), 0);

	/* Two pages mapped: one scatterlist if they are not contiguous. */
	alloc_sites_start(test, sites);
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, 2 * PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_EXPECT_EQ(test, alloc_sites_stop(test, sites),
			user_runs(test, buf, 2) == 1 ? 2 : 3);
	expect_mapped(test, a, iova, buf, 2);
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova, 2 * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);

	iopt_remove_domain(&iopt, &a->domain);
	iopt_destroy(&iopt);
}

/*
 * Pages are pinned 512 per GUP call and kept as runs of physically
 * contiguous memory.  A mapping of 1,100 pages crosses two call
 * boundaries: the domain gets each page's own PFN with one map call per
 * physically contiguous run.  A copy of pages 300..799 adds a user to
 * part of the runs; when the source goes, exactly those pages stay
 * pinned and mapped.
 */
static void iopt_kunit_runs(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	struct fake_domain *b = fake_domain(test, ULONG_MAX);
	unsigned long n = 1100, buf = user_buf(test, n);
	unsigned long src = SZ_1M, dst = 0, unmapped;
	struct io_pagetable *sd = kunit_kcalloc(test, 2, sizeof(*sd),
						GFP_KERNEL);
	LIST_HEAD(pieces);
	s64 base = pinned_vm();
	int calls;

	KUNIT_ASSERT_NOT_NULL(test, sd);
	iopt_init(&sd[0]);
	iopt_init(&sd[1]);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&sd[0], &a->domain), 0);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&sd[1], &b->domain), 0);
	calls = a->map_calls;
	KUNIT_ASSERT_EQ(test, iopt_map_user(&sd[0], &src, buf, n * PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + n);
	KUNIT_EXPECT_EQ(test, fake_count(a), n);
	expect_mapped(test, a, src, buf, n);
	KUNIT_EXPECT_EQ(test, a->map_calls - calls, user_runs(test, buf, n));

	KUNIT_ASSERT_EQ(test, iopt_get_pieces(&sd[0], src + 300 * PAGE_SIZE,
					      500 * PAGE_SIZE, &pieces), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_pieces(&sd[1], &pieces, 500 * PAGE_SIZE,
					      &dst, PROT, false), 0);
	iopt_free_pieces(&pieces);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + n);
	expect_mapped(test, b, dst, buf + 300 * PAGE_SIZE, 500);

	KUNIT_ASSERT_EQ(test, iopt_unmap(&sd[0], src, n * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, n * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 500);
	expect_mapped(test, b, dst, buf + 300 * PAGE_SIZE, 500);

	/* A domain added now is filled from the runs the copy holds. */
	iopt_remove_domain(&sd[0], &a->domain);
	calls = a->map_calls;
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&sd[1], &a->domain), 0);
	expect_mapped(test, a, dst, buf + 300 * PAGE_SIZE, 500);
	KUNIT_EXPECT_EQ(test, a->map_calls - calls,
			user_runs(test, buf + 300 * PAGE_SIZE, 500));
	iopt_remove_domain(&sd[1], &a->domain);
	iopt_remove_domain(&sd[1], &b->domain);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	iopt_destroy(&sd[0]);
	iopt_destroy(&sd[1]);
}

/*
 * A mapping pinned in 512-page calls and cut in two at page 700 (VFIO
 * type1 v1's partial unmap, large pages disabled): each half unpins its
 * own pages, and the other half stays pinned and mapped.
 */
static void iopt_kunit_cut_runs(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	unsigned long n = 1100, buf = user_buf(test, n);
	unsigned long iova = SZ_1M, cut = 700, unmapped;
	struct io_pagetable iopt;
	s64 base = pinned_vm();
	int calls;

	iopt_init(&iopt);
	KUNIT_ASSERT_EQ(test, iopt_disable_large_pages(&iopt), 0);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	calls = a->map_calls;
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova, buf, n * PAGE_SIZE,
					    PROT, true), 0);
	/* One call per page without large pages. */
	KUNIT_EXPECT_EQ(test, a->map_calls - calls, n);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + n);

	KUNIT_ASSERT_EQ(test, iopt_cut(&iopt, iova + cut * PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova, cut * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, cut * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + n - cut);
	KUNIT_EXPECT_EQ(test, fake_count(a), n - cut);
	expect_mapped(test, a, iova + cut * PAGE_SIZE, buf + cut * PAGE_SIZE,
		      n - cut);

	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova + cut * PAGE_SIZE,
					 (n - cut) * PAGE_SIZE, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, (n - cut) * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	iopt_remove_domain(&iopt, &a->domain);
	iopt_destroy(&iopt);
}

/*
 * Without a domain, mappings are byte granular and need no memory behind
 * them; a domain then refuses what it cannot map (EADDRINUSE for a
 * misaligned mapping, EFAULT for missing memory) and leaves nothing
 * pinned or mapped.
 */
static void iopt_kunit_byte_granular(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	unsigned long buf = user_buf(test, 4);
	unsigned long iova = SZ_1M + 1, hole, unmapped;
	s64 base = pinned_vm();
	struct io_pagetable iopt;

	iopt_init(&iopt);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova, buf + 3, 100, PROT,
					    true), 0);
	KUNIT_EXPECT_EQ(test, iopt_add_domain(&iopt, &a->domain),
			-EADDRINUSE);
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, iova, 100, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 100);

	/* Chosen IOVAs keep the user address's page offset. */
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova, buf + 0x123, 0x10,
					    PROT, false), 0);
	KUNIT_EXPECT_EQ(test, offset_in_page(iova), 0x123);
	KUNIT_ASSERT_EQ(test, iopt_unmap_all(&iopt, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 0x10);

	/* Memory that is not there: mapped, but no domain can take it. */
	hole = user_buf(test, 2);
	KUNIT_ASSERT_EQ(test, vm_munmap(hole, 2 * PAGE_SIZE), 0);
	iova = SZ_1M;
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova, buf, PAGE_SIZE, PROT,
					    true), 0);
	iova = SZ_2M;
	KUNIT_ASSERT_EQ(test, iopt_map_user(&iopt, &iova, hole, 2 * PAGE_SIZE,
					    PROT, true), 0);
	KUNIT_EXPECT_EQ(test, iopt_add_domain(&iopt, &a->domain), -EFAULT);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, iopt_iova_alignment(&iopt), 1);

	/* Without it, the domain is taken; a misaligned map is refused. */
	KUNIT_ASSERT_EQ(test, iopt_unmap(&iopt, SZ_2M, 2 * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 1);
	iova = SZ_2M;
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf + 8, PAGE_SIZE,
					    PROT, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf, 100, PROT,
					    true), -EINVAL);
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, buf + 8, PAGE_SIZE,
					    PROT, false), -EINVAL);
	/* The hole again, now pinned at map time: EFAULT, nothing kept. */
	KUNIT_EXPECT_EQ(test, iopt_map_user(&iopt, &iova, hole, PAGE_SIZE,
					    PROT, true), -EFAULT);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 1);
	iopt_remove_domain(&iopt, &a->domain);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	iopt_destroy(&iopt);
}

/* The pfn of page @index of shmem file @file. */
static unsigned long shmem_pfn(struct kunit *test, struct file *file,
			       pgoff_t index)
{
	struct page *page = shmem_read_mapping_page(file->f_mapping, index);
	unsigned long pfn;

	KUNIT_ASSERT_FALSE(test, IS_ERR(page));
	pfn = page_to_pfn(page);
	put_page(page);
	return pfn;
}

static void fput_action(void *file)
{
	fput(file);
}

/*
 * A file mapping pins nothing until a domain comes; the domain maps the
 * file's own pages (from the byte offset's page on) and pins each once;
 * the pins end with the domain.  A range beyond the end of the file is
 * mapped, but refused (EINVAL) when a domain would pin it.
 */
static void iopt_kunit_file_pages(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	unsigned long iova = SZ_1M, unmapped, i;
	struct io_pagetable iopt;
	struct file *file;
	s64 base;

	/* The test thread needs an mm to charge, as a process has. */
	user_buf(test, 1);
	base = pinned_vm();
	file = shmem_file_setup("iopt_kunit", 4 * PAGE_SIZE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fput_action,
							file), 0);

	iopt_init(&iopt);
	KUNIT_ASSERT_EQ(test, iopt_map_file(&iopt, &iova, file, PAGE_SIZE,
					    2 * PAGE_SIZE, PROT, true), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	KUNIT_EXPECT_EQ(test, fake_count(a), 2);
	for (i = 0; i < 2; i++) {
		void *entry = xa_load(&a->ptes, (iova >> PAGE_SHIFT) + i);

		KUNIT_ASSERT_NOT_NULL(test, entry);
		KUNIT_EXPECT_EQ(test, xa_to_value(entry),
				shmem_pfn(test, file, 1 + i));
	}

	/* Pages 3 and 4 of a file of 4: the pin fails, nothing is kept. */
	iova = SZ_2M;
	KUNIT_EXPECT_EQ(test, iopt_map_file(&iopt, &iova, file, 3 * PAGE_SIZE,
					    2 * PAGE_SIZE, PROT, true),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	KUNIT_EXPECT_EQ(test, fake_count(a), 2);

	iopt_remove_domain(&iopt, &a->domain);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, iopt_add_domain(&iopt, &a->domain), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	KUNIT_ASSERT_EQ(test, iopt_unmap_all(&iopt, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	iopt_remove_domain(&iopt, &a->domain);
	iopt_destroy(&iopt);
}

/*
 * Memory in small pieces is kept in blocks (pages.c): a buffer filled one
 * page at a time, alternating with another one, so that next to no two of
 * its pages are physically adjacent.  An access pins part of it before
 * any domain, unpins half of that and pins it again (the pages go back
 * into their block); a domain then gets every page's own PFN; a copy adds
 * users to part of the pages and keeps them when the source goes.
 * Pinning the 1,100 pages must not cost an allocation call per piece
 * (fewer than one per eight pages; about one per piece without blocks):
 * counted through the task's fault-injection countdown, which every
 * allocation that fault injection may fail decrements.
 */
static void iopt_kunit_blocks(struct kunit *test)
{
	struct fake_domain *a = fake_domain(test, ULONG_MAX);
	struct fake_domain *b = fake_domain(test, ULONG_MAX);
	/* Shared anonymous memory: 4 KiB pages, never transparent huge ones */
	unsigned long n = 1100, buf = __user_buf(test, n, true);
	unsigned long other = __user_buf(test, n, true);
	unsigned long src = SZ_1M, dst = 0, unmapped, i;
	struct io_pagetable *sd = kunit_kcalloc(test, 2, sizeof(*sd),
						GFP_KERNEL);
	struct page **out = kunit_kcalloc(test, 100, sizeof(*out), GFP_KERNEL);
	LIST_HEAD(pieces);
	s64 base = pinned_vm();

	KUNIT_ASSERT_NOT_NULL(test, sd);
	KUNIT_ASSERT_NOT_NULL(test, out);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, put_user(1, (char __user *)(buf +
							     i * PAGE_SIZE)), 0);
		KUNIT_ASSERT_EQ(test, put_user(1, (char __user *)(other +
							     i * PAGE_SIZE)), 0);
	}
	KUNIT_ASSERT_GE_MSG(test, user_runs(test, buf, n), n / 4,
			    "the buffer is not scattered: nothing to test");
	iopt_init(&sd[0]);
	iopt_init(&sd[1]);
	KUNIT_ASSERT_EQ(test, iopt_map_user(&sd[0], &src, buf, n * PAGE_SIZE,
					    PROT, true), 0);

	KUNIT_ASSERT_EQ(test, iopt_access_pin(&sd[0], src + 10 * PAGE_SIZE,
					      100 * PAGE_SIZE, out, 0), 0);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, page_to_pfn(out[i]),
				user_pfn(test, buf + (10 + i) * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 100);
	iopt_access_unpin(&sd[0], src + 10 * PAGE_SIZE, 50 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 50);
	KUNIT_ASSERT_EQ(test, iopt_access_pin(&sd[0], src + 10 * PAGE_SIZE,
					      50 * PAGE_SIZE, out, 0), 0);
	for (i = 0; i < 50; i++)
		KUNIT_EXPECT_EQ(test, page_to_pfn(out[i]),
				user_pfn(test, buf + (10 + i) * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 100);

#ifdef CONFIG_FAULT_INJECTION
	current->fail_nth = 1000000;
#endif
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&sd[0], &a->domain), 0);
#ifdef CONFIG_FAULT_INJECTION
	KUNIT_EXPECT_LT(test, 1000000 - current->fail_nth, n / 8);
	current->fail_nth = 0;
#endif
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + n);
	KUNIT_EXPECT_EQ(test, fake_count(a), n);
	expect_mapped(test, a, src, buf, n);
	iopt_access_unpin(&sd[0], src + 10 * PAGE_SIZE, 100 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + n);

	KUNIT_ASSERT_EQ(test, iopt_add_domain(&sd[1], &b->domain), 0);
	KUNIT_ASSERT_EQ(test, iopt_get_pieces(&sd[0], src + 300 * PAGE_SIZE,
					      500 * PAGE_SIZE, &pieces), 0);
	KUNIT_ASSERT_EQ(test, iopt_map_pieces(&sd[1], &pieces, 500 * PAGE_SIZE,
					      &dst, PROT, false), 0);
	iopt_free_pieces(&pieces);
	KUNIT_ASSERT_EQ(test, iopt_unmap(&sd[0], src, n * PAGE_SIZE,
					 &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, n * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake_count(a), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 500);
	expect_mapped(test, b, dst, buf + 300 * PAGE_SIZE, 500);

	/* A domain added now is filled from what the copy holds. */
	iopt_remove_domain(&sd[0], &a->domain);
	KUNIT_ASSERT_EQ(test, iopt_add_domain(&sd[1], &a->domain), 0);
	expect_mapped(test, a, dst, buf + 300 * PAGE_SIZE, 500);
	iopt_remove_domain(&sd[1], &a->domain);
	iopt_remove_domain(&sd[1], &b->domain);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	iopt_destroy(&sd[0]);
	iopt_destroy(&sd[1]);
}

static struct kunit_case iopt_kunit_cases[] = {
	KUNIT_CASE(iopt_kunit_lazy_pin),
	KUNIT_CASE(iopt_kunit_byte_granular),
	KUNIT_CASE(iopt_kunit_fill_and_sync),
	KUNIT_CASE(iopt_kunit_map_failure_unwinds),
	KUNIT_CASE(iopt_kunit_add_failure_unwinds),
	KUNIT_CASE(iopt_kunit_aperture),
	KUNIT_CASE(iopt_kunit_copy),
	KUNIT_CASE(iopt_kunit_file_pages),
	KUNIT_CASE(iopt_kunit_runs),
	KUNIT_CASE(iopt_kunit_cut_runs),
	KUNIT_CASE(iopt_kunit_blocks),
	KUNIT_CASE(iopt_kunit_map_allocs),
	{}
};

static struct kunit_suite iopt_kunit_suite = {
	.name = "iommufd_pasid_iopt",
	.test_cases = iopt_kunit_cases,
};

kunit_test_suite(iopt_kunit_suite);

MODULE_DESCRIPTION("KUnit tests of the iommufd_pasid io_pagetable");
MODULE_LICENSE("GPL");
