// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test of vtd_sm with QEMU's edu device (PCI 1234:11e8).
 *
 * Loaded after vtd_sm, it binds edu and checks, through the DMA API:
 *  1. edu sits behind vtd_sm on an identity domain, and a buffer copied
 *     RAM -> edu -> RAM arrives byte for byte (pass-through DMA);
 *  2. with the group moved to vtd_sm's blocked domain, a copy into edu
 *     does not arrive (the unit blocks and records a fault);
 *  3. back on the identity domain, DMA works again.
 * The results are TAP, in /sys/kernel/debug/vtd_sm_edu_test/results.
 * edu's registers: see edu.h.
 */
#define pr_fmt(fmt) "vtd_sm_edu_test: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>

#include "edu.h"

/* QEMU 7.2 rejects a transfer that ends exactly at the buffer's end. */
#define EDU_XFER_SIZE		2048

struct edu_test {
	struct pci_dev *pdev;
	void __iomem *bar;
	void *src;
	void *dst;
	dma_addr_t src_dma;
	dma_addr_t dst_dma;
	struct seq_buf tap;
	char tap_buf[2048];
	unsigned int n;
	struct dentry *debugfs;
};

/* RAM (src) -> edu -> RAM (dst); true if dst ends up equal to src. */
static bool edu_copy(struct edu_test *t, u8 seed, int *err)
{
	unsigned int i;
	u8 *s = t->src;

	for (i = 0; i < EDU_XFER_SIZE; i++)
		s[i] = seed + i * 7;
	memset(t->dst, 0, EDU_XFER_SIZE);
	*err = edu_dma(t->bar, t->src_dma, EDU_XFER_SIZE, false);
	if (!*err)
		*err = edu_dma(t->bar, t->dst_dma, EDU_XFER_SIZE, true);
	return !*err && !memcmp(t->src, t->dst, EDU_XFER_SIZE);
}

static void edu_result(struct edu_test *t, bool ok, const char *what)
{
	seq_buf_printf(&t->tap, "%sok %u %s\n", ok ? "" : "not ", ++t->n, what);
	if (ok)
		pr_info("%s: ok\n", what);
	else
		pr_err("%s: FAILED\n", what);
}

static void edu_run(struct edu_test *t)
{
	struct device *dev = &t->pdev->dev;
	struct iommu_domain *domain;
	struct iommu_group *group;
	bool ok;
	int err, ret;

	seq_buf_puts(&t->tap, "TAP version 13\n1..3\n");

	domain = iommu_get_domain_for_dev(dev);
	if (!domain || domain->type != IOMMU_DOMAIN_IDENTITY)
		seq_buf_printf(&t->tap, "# edu is not on an identity domain (%d)\n",
			       domain ? (int)domain->type : -1);
	ok = domain && domain->type == IOMMU_DOMAIN_IDENTITY &&
	     edu_copy(t, 0x11, &err);
	if (!ok && domain)
		seq_buf_printf(&t->tap, "# copy failed (err %d)\n", err);
	edu_result(t, ok, "edu DMA through vtd_sm pass-through");

	group = iommu_group_get(dev);
	ret = group ? iommu_group_claim_dma_owner(group, t) : -ENODEV;
	if (ret) {
		seq_buf_printf(&t->tap, "# cannot block the group: %d\n", ret);
		edu_result(t, false, "blocked domain stops edu DMA");
	} else {
		domain = iommu_get_domain_for_dev(dev);
		/* The copy must not arrive (a timeout would be a failure too). */
		ok = domain && domain->type == IOMMU_DOMAIN_BLOCKED &&
		     !edu_copy(t, 0x55, &err) && !err;
		if (!ok)
			seq_buf_printf(&t->tap, "# domain type %d, err %d\n",
				       domain ? (int)domain->type : -1, err);
		edu_result(t, ok, "blocked domain stops edu DMA");
		iommu_group_release_dma_owner(group);
	}
	iommu_group_put(group);

	domain = iommu_get_domain_for_dev(dev);
	ok = domain && domain->type == IOMMU_DOMAIN_IDENTITY &&
	     edu_copy(t, 0x99, &err);
	edu_result(t, ok, "edu DMA through vtd_sm pass-through after unblock");
}

static int edu_results_show(struct seq_file *m, void *unused)
{
	struct edu_test *t = m->private;

	seq_puts(m, t->tap_buf);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_results);

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_test *t;
	int ret;

	t = devm_kzalloc(&pdev->dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->pdev = pdev;
	seq_buf_init(&t->tap, t->tap_buf, sizeof(t->tap_buf));

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	t->bar = pcim_iomap(pdev, 0, 0);
	if (!t->bar)
		return -ENOMEM;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	pci_set_master(pdev);

	t->src = dmam_alloc_coherent(&pdev->dev, EDU_BUF_SIZE, &t->src_dma,
				     GFP_KERNEL);
	t->dst = dmam_alloc_coherent(&pdev->dev, EDU_BUF_SIZE, &t->dst_dma,
				     GFP_KERNEL);
	if (!t->src || !t->dst)
		return -ENOMEM;

	edu_run(t);
	pci_set_drvdata(pdev, t);
	t->debugfs = debugfs_create_dir("vtd_sm_edu_test", NULL);
	debugfs_create_file("results", 0400, t->debugfs, t, &edu_results_fops);
	return 0;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_test *t = pci_get_drvdata(pdev);

	debugfs_remove_recursive(t->debugfs);
	pci_clear_master(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{}
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_test_driver = {
	.name = "vtd_sm_edu_test",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
	/* The test moves the group to the blocked domain itself. */
	.driver_managed_dma = true,
};
module_pci_driver(edu_test_driver);

MODULE_DESCRIPTION("End-to-end DMA test of vtd_sm with QEMU's edu device");
MODULE_LICENSE("GPL");
