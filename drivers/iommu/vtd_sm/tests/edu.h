/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (PCI 1234:11e8) as the vtd_sm test modules drive it.
 *
 * Registers (BAR 0): 0x80 DMA source, 0x88 destination, 0x90 count, 0x98
 * command (bit 0 start and busy, bit 1 direction edu -> RAM, bit 2
 * interrupt on completion).  Its 4 KiB buffer is at 0x40000 in the
 * device's own address space; QEMU 7.2 rejects a transfer that ends
 * exactly at the buffer's end.
 */
#ifndef _VTD_SM_TESTS_EDU_H
#define _VTD_SM_TESTS_EDU_H

#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/jiffies.h>

#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_START		BIT(0)
#define EDU_CMD_TO_RAM		BIT(1)
#define EDU_BUF_ADDR		0x40000
#define EDU_BUF_SIZE		4096
#define EDU_TIMEOUT_MS		5000

/*
 * One transfer of @len bytes between edu's buffer (from its start) and the
 * device address @ram; waits for edu to finish.  Return: 0 or -ETIMEDOUT.
 */
static inline int edu_dma(void __iomem *bar, u64 ram, size_t len, bool to_ram)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(EDU_TIMEOUT_MS);

	writeq(to_ram ? EDU_BUF_ADDR : ram, bar + EDU_DMA_SRC);
	writeq(to_ram ? ram : EDU_BUF_ADDR, bar + EDU_DMA_DST);
	writeq(len, bar + EDU_DMA_CNT);
	writeq(EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0), bar + EDU_DMA_CMD);
	while (readq(bar + EDU_DMA_CMD) & EDU_CMD_START) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(2000, 5000);
	}
	return 0;
}

#endif /* _VTD_SM_TESTS_EDU_H */
