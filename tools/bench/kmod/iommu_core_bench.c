// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_core_bench: the cost of IOMMU core calls on QEMU's edu device
 * (PCI 1234:11e8), whichever driver translates it: the stock intel-iommu
 * (a kernel booted with intel_iommu=on,sm_on) or vtd_sm.  make bench
 * loads it in both machines and compares the ratios.
 *
 * On load it claims edu's group for DMA ownership, allocates two paging
 * domains with iommu_paging_domain_alloc() that map one page each, and
 * times, each repetition next to a fixed CPU workload (the reference, the
 * same loop iommufd_bench runs in userspace):
 *
 *  - RID attach (iommu_attach_group()), replace
 *    (iommu_group_replace_domain()) and detach (iommu_detach_group());
 *  - PASID attach (iommu_attach_device_pasid()) and detach
 *    (iommu_detach_device_pasid()) on PASID 1 where the core gives edu
 *    PASIDs (with vtd_sm: after the pasid_bits knob, set by make bench);
 *  - iommu_map() and iommu_unmap() of 4 KiB and of 2 MiB of physically
 *    contiguous memory while a domain is attached to the RID.
 *
 * Results, as TAP with one "#J {...}" JSON line per operation, are in
 * /sys/kernel/debug/iommu_core_bench/results.
 */
#define pr_fmt(fmt) "iommu_core_bench: " fmt

#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "iommu_priv.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define REF_ITERS	20000
#define BENCH_PASID	1
#define IOVA_PAGE	0x100000UL
#define IOVA_MAP	0x40000000UL
#define MAX_OPS		3

static unsigned int reps = 300;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "repetitions per operation");

static char *driver = "unknown";
module_param(driver, charp, 0444);
MODULE_PARM_DESC(driver, "name of the IOMMU driver, for the report");

struct bench {
	struct pci_dev *pdev;
	struct device *dev;
	struct iommu_group *group;
	struct iommu_domain *a, *b;
	struct page *page, *big;
	u64 *ref, *op[MAX_OPS];
	struct seq_buf out;
	char out_buf[16384];
	unsigned int n;
	int failed;
	struct dentry *debugfs;
};

static struct bench *bench;

static u64 ref_sink;

/* The reference: the same dependent chain as iommufd_bench's. */
static u64 ref_time(void)
{
	u64 x = 0x9e3779b97f4a7c15ULL, t = ktime_get_ns();
	int i;

	/* an opaque seed: the compiler must not fold the chain */
	OPTIMIZER_HIDE_VAR(x);
	for (i = 0; i < REF_ITERS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x *= 0x2545f4914f6cdd1dULL;
	}
	WRITE_ONCE(ref_sink, x);
	return ktime_get_ns() - t;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; the value at quantile @permille / 1000 (nearest rank). */
static u64 quantile(u64 *v, unsigned int n, unsigned int permille)
{
	unsigned int i = DIV_ROUND_UP(permille * n, 1000);

	sort(v, n, sizeof(*v), cmp_u64, NULL);
	i = i ? i - 1 : 0;
	return v[min(i, n - 1)];
}

static void tap(struct bench *b, bool ok, const char *what, int err)
{
	seq_buf_printf(&b->out, "%sok %u %s", ok ? "" : "not ", ++b->n, what);
	if (!ok)
		seq_buf_printf(&b->out, " # error %d", err);
	seq_buf_putc(&b->out, '\n');
	if (!ok)
		b->failed++;
}

/* One JSON line per operation. */
static void report(struct bench *b, const char *group, const char * const *names,
		   unsigned int nops, unsigned int n)
{
	u64 ref = quantile(b->ref, n, 500), med, p99, milli;
	unsigned int i;

	for (i = 0; i < nops; i++) {
		med = quantile(b->op[i], n, 500);
		p99 = quantile(b->op[i], n, 990);
		milli = div64_u64(med * 1000, ref);
		seq_buf_printf(&b->out,
			       "#J {\"kind\": \"core\", \"driver\": \"%s\", \"group\": \"%s\", ",
			       driver, group);
		seq_buf_printf(&b->out,
			       "\"op\": \"%s\", \"n\": %u, \"median_ns\": %llu, \"p99_ns\": %llu, ",
			       names[i], n, med, p99);
		seq_buf_printf(&b->out,
			       "\"ref_median_ns\": %llu, \"ratio_median\": %llu.%03llu}\n",
			       ref, milli / 1000, milli % 1000);
	}
}

#define TIMED(slot, call) ({						\
	u64 t0_ = ktime_get_ns();					\
	int r_ = (call);						\
	(slot) = ktime_get_ns() - t0_;					\
	r_;								\
})

static int bench_rid(struct bench *b)
{
	static const char * const names[] = { "attach", "replace", "detach" };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < reps && !ret; i++) {
		b->ref[i] = ref_time();
		ret = TIMED(b->op[0][i], iommu_attach_group(b->a, b->group));
		if (ret)
			break;
		ret = TIMED(b->op[1][i],
			    iommu_group_replace_domain(b->group, b->b));
		b->op[2][i] = ktime_get_ns();
		iommu_detach_group(ret ? b->a : b->b, b->group);
		b->op[2][i] = ktime_get_ns() - b->op[2][i];
	}
	if (!ret)
		report(b, "rid", names, 3, reps);
	return ret;
}

static int bench_pasid(struct bench *b)
{
	static const char * const names[] = { "attach", "detach" };
	unsigned int i;
	int ret = 0;

	if (!b->dev->iommu || !b->dev->iommu->max_pasids) {
		seq_buf_printf(&b->out,
			       "#J {\"kind\": \"core_skip\", \"driver\": \"%s\", \"group\": \"pasid\", ",
			       driver);
		seq_buf_printf(&b->out,
			       "\"reason\": \"the core gives edu no PASIDs\"}\n");
		return 0;
	}
	for (i = 0; i < reps && !ret; i++) {
		b->ref[i] = ref_time();
		ret = TIMED(b->op[0][i],
			    iommu_attach_device_pasid(b->a, b->dev,
						      BENCH_PASID, NULL));
		if (ret)
			break;
		b->op[1][i] = ktime_get_ns();
		iommu_detach_device_pasid(b->a, b->dev, BENCH_PASID);
		b->op[1][i] = ktime_get_ns() - b->op[1][i];
	}
	if (!ret)
		report(b, "pasid", names, 2, reps);
	return ret;
}

static int bench_map(struct bench *b, const char *group, phys_addr_t phys,
		     size_t len, unsigned int n)
{
	static const char * const names[] = { "map", "unmap" };
	unsigned int i;
	int ret;

	ret = iommu_attach_group(b->a, b->group);
	for (i = 0; i < n && !ret; i++) {
		b->ref[i] = ref_time();
		ret = TIMED(b->op[0][i],
			    iommu_map(b->a, IOVA_MAP, phys, len,
				      IOMMU_READ | IOMMU_WRITE, GFP_KERNEL));
		if (ret)
			break;
		b->op[1][i] = ktime_get_ns();
		if (iommu_unmap(b->a, IOVA_MAP, len) != len)
			ret = -EIO;
		b->op[1][i] = ktime_get_ns() - b->op[1][i];
	}
	if (!ret)
		report(b, group, names, 2, n);
	iommu_detach_group(b->a, b->group);
	return ret;
}

static int bench_run(struct bench *b)
{
	int ret;

	b->a = iommu_paging_domain_alloc(b->dev);
	if (IS_ERR(b->a))
		return PTR_ERR(b->a);
	b->b = iommu_paging_domain_alloc(b->dev);
	if (IS_ERR(b->b))
		return PTR_ERR(b->b);
	ret = iommu_map(b->a, IOVA_PAGE, page_to_phys(b->page), PAGE_SIZE,
			IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (!ret)
		ret = iommu_map(b->b, IOVA_PAGE, page_to_phys(b->page),
				PAGE_SIZE, IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (ret)
		return ret;
	ret = bench_rid(b);
	tap(b, !ret, "RID attach, replace, detach", ret);
	ret = bench_pasid(b);
	tap(b, !ret, "PASID attach, detach", ret);
	ret = bench_map(b, "map_4k", page_to_phys(b->page), PAGE_SIZE, reps);
	tap(b, !ret, "map, unmap 4 KiB", ret);
	ret = bench_map(b, "map_2m", page_to_phys(b->big), SZ_2M,
			max(reps / 3, 3U));
	tap(b, !ret, "map, unmap 2 MiB", ret);
	return 0;
}

static int results_show(struct seq_file *m, void *unused)
{
	struct bench *b = m->private;

	seq_write(m, b->out_buf, seq_buf_used(&b->out));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(results);

static void bench_free(struct bench *b)
{
	unsigned int i;

	if (!IS_ERR_OR_NULL(b->a))
		iommu_domain_free(b->a);
	if (!IS_ERR_OR_NULL(b->b))
		iommu_domain_free(b->b);
	if (b->group) {
		iommu_group_release_dma_owner(b->group);
		iommu_group_put(b->group);
	}
	pci_dev_put(b->pdev);
	if (b->page)
		__free_page(b->page);
	if (b->big)
		__free_pages(b->big, get_order(SZ_2M));
	kvfree(b->ref);
	for (i = 0; i < MAX_OPS; i++)
		kvfree(b->op[i]);
	kfree(b);
}

static int __init iommu_core_bench_init(void)
{
	struct bench *b;
	unsigned int i;
	int ret;

	if (!reps)
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	seq_buf_init(&b->out, b->out_buf, sizeof(b->out_buf));
	seq_buf_printf(&b->out, "TAP version 13\n1..4\n");
	b->ref = kvcalloc(reps, sizeof(u64), GFP_KERNEL);
	for (i = 0; i < MAX_OPS; i++)
		b->op[i] = kvcalloc(reps, sizeof(u64), GFP_KERNEL);
	b->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	b->big = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(SZ_2M));
	ret = -ENOMEM;
	if (!b->ref || !b->op[0] || !b->op[1] || !b->op[2] || !b->page ||
	    !b->big)
		goto err;
	ret = -ENODEV;
	b->pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!b->pdev)
		goto err;
	b->dev = &b->pdev->dev;
	b->group = iommu_group_get(b->dev);
	if (!b->group)
		goto err;
	ret = iommu_group_claim_dma_owner(b->group, b);
	if (ret) {
		iommu_group_put(b->group);
		b->group = NULL;
		goto err;
	}
	ret = bench_run(b);
	if (ret)
		goto err;
	b->debugfs = debugfs_create_dir("iommu_core_bench", NULL);
	debugfs_create_file("results", 0400, b->debugfs, b, &results_fops);
	bench = b;
	return 0;
err:
	pr_err("%s: %d\n", driver, ret);
	bench_free(b);
	return ret;
}

static void __exit iommu_core_bench_exit(void)
{
	debugfs_remove_recursive(bench->debugfs);
	bench_free(bench);
}

module_init(iommu_core_bench_init);
module_exit(iommu_core_bench_exit);
MODULE_DESCRIPTION("Cost of IOMMU core calls on QEMU's edu device");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
