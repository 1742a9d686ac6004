// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_bench: VFIO type1 map and unmap cost, for the comparison with
 * IOMMU_IOAS_MAP/UNMAP that iommufd_bench measures.
 *
 * Run in the guest booted with the stock intel-iommu driver and the
 * stock vfio, vfio_iommu_type1 and vfio-pci modules loaded: gives QEMU's
 * edu to vfio-pci, puts its group in a type1v2 container and times
 * VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA of 4 KiB, 2 MiB and 1 GiB
 * with the same buffers, repetitions and reference workload as
 * iommufd_bench's IOAS map and unmap.
 *
 *   vfio_bench [-r reps]
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <linux/vfio.h>

#include "bench_util.h"

#define IOVA_4K		0x100000000ULL
#define IOVA_2M		0x200000000ULL
#define IOVA_1G		0x400000000ULL

static int reps = 300;

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		rc = -errno;
	close(fd);
	return rc;
}

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* PCI name of edu (1234:11e8), the lowest if there are several. */
static int edu_find(char *bdf, size_t len)
{
	char path[300], v[16], d[16];
	struct dirent *de;
	int rc = -ENODEV;
	DIR *dir;

	dir = opendir("/sys/bus/pci/devices");
	if (!dir)
		return -ENODEV;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= len)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (read_str(path, v, sizeof(v)) || strncmp(v, "0x1234", 6))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (read_str(path, d, sizeof(d)) || strncmp(d, "0x11e8", 6))
			continue;
		if (!rc && strcmp(de->d_name, bdf) >= 0)
			continue;
		memcpy(bdf, de->d_name, strlen(de->d_name) + 1);
		rc = 0;
	}
	closedir(dir);
	return rc;
}

/* edu to vfio-pci; the container fd, its group in a type1v2 container. */
static int vfio_open(const char *bdf, int *container, int *group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[300], link[300];
	ssize_t n;
	int rc;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	rc = write_str(path, "vfio-pci\n");
	rc = rc ?: write_str("/sys/bus/pci/drivers/vfio-pci/bind", bdf);
	if (rc) {
		printf("# bind %s to vfio-pci: %s\n", bdf, strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENOENT;
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	*group = open(path, O_RDWR);
	*container = open("/dev/vfio/vfio", O_RDWR);
	if (*group < 0 || *container < 0) {
		printf("# open %s or /dev/vfio/vfio: %s\n", path,
		       strerror(errno));
		return -errno;
	}
	if (ioctl(*group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("# group %s not viable\n", path);
		return -EBUSY;
	}
	if (ioctl(*group, VFIO_GROUP_SET_CONTAINER, container) ||
	    ioctl(*container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		rc = -errno;
		printf("# type1v2 container: %s\n", strerror(-rc));
		return rc;
	}
	return 0;
}

static int dma_map(int c, void *va, __u64 len, __u64 iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return ioctl(c, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static int dma_unmap(int c, __u64 len, __u64 iova)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = len,
	};

	if (ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u))
		return -errno;
	return u.size == len ? 0 : -EIO;
}

static int bench_map(int c, const char *group, __u64 len, __u64 iova, int n)
{
	struct lat_loop l;
	size_t raw_len;
	void *raw, *buf;
	int i, rc = 0;

	buf = big_buf(len, len < SZ_2M ? SZ_4K : SZ_2M, &raw, &raw_len);
	if (!buf) {
		jbegin("skip");
		jstr("group", group);
		jint("bytes", len);
		jstr("reason", strerror(errno));
		jend();
		return 0;
	}
	if (loop_init(&l, n, "map", "unmap", NULL)) {
		munmap(raw, raw_len);
		return -ENOMEM;
	}
	for (i = -1; i < n && !rc; i++) {
		long long ref = ref_time(), tm, tu;

		rc = TIMED(tm, dma_map(c, buf, len, iova));
		rc = rc ?: TIMED(tu, dma_unmap(c, len, iova));
		if (rc) {
			printf("# %s: %s\n", group, strerror(-rc));
		} else if (i >= 0) {
			l.ref[i] = ref;
			l.op[0][i] = tm;
			l.op[1][i] = tu;
			l.n++;
		}
	}
	loop_report(&l, "vfio", group);
	loop_free(&l);
	munmap(raw, raw_len);
	return rc;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int opt, rc, container = -1, group = -1;
	char bdf[64];

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r') {
			fprintf(stderr, "usage: %s [-r reps]\n", argv[0]);
			return 2;
		}
		reps = atoi(optarg);
	}
	if (reps < 3)
		reps = 3;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	printf("TAP version 13\n1..1\n");
	rc = edu_find(bdf, sizeof(bdf));
	if (rc) {
		tap(1, "vfio type1 # SKIP no edu device");
		return 0;
	}
	rc = vfio_open(bdf, &container, &group);
	rc = rc ?: bench_map(container, "map_4k", SZ_4K, IOVA_4K, reps);
	rc = rc ?: bench_map(container, "map_2m", SZ_2M, IOVA_2M,
			     reps / 3 ?: 1);
	rc = rc ?: bench_map(container, "map_1g", SZ_1G, IOVA_1G,
			     reps / 60 < 3 ? 3 : reps / 60);
	tap(!rc, "vfio type1 map and unmap");
	if (group >= 0)
		close(group);
	if (container >= 0)
		close(container);
	return rc ? 1 : 0;
}
