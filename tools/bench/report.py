#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn what iommufd_bench printed in the VM into a table and a JSON file.

iommufd_bench prints one JSON object per line, each on a TAP comment line
starting with "#J ".  This script collects them from the VM's results log,
puts the VT-d specification's minimum number of invalidation descriptors
and batches next to each operation's counts, prints the table and writes
every value to the JSON file.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

CAP_CM = 1 << 7          # VT-d CAP_REG.CM: caching mode


def spec_minimum(group, op, cm):
    """(descriptors, batches) the VT-d specification asks for at least.

    The wait descriptor that ends a batch is counted, as vtd_sm's
    qi_descriptors counter counts it.  Paging HWPTs are second-level
    tables here (QEMU 7.2 offers no first level), and the replace goes
    from HWPT A to HWPT B: the entry takes another domain id.  The
    reasoning is in Documentation/performance.rst, "Invalidations per
    operation".
    """
    if group in ('pasid', 'rid'):
        if op == 'attach':
            # Not present -> present.  Without caching mode the unit
            # caches nothing of a not-present entry: nothing to send.  In
            # caching mode (6.1: every change, a not-present entry made
            # present included, is followed by an explicit invalidation)
            # the PASID cache (new DID), the IOTLB of the new DID
            # (domain-selective for a second-level entry: a virtual unit
            # builds its shadow of the translations from IOTLB
            # invalidations of the DID the entry carries) and a wait.
            return (3, 1) if cm else (0, 0)
        # Present -> other / not present: PASID cache (old DID), IOTLB
        # domain-selective (old DID: second-level translations are tagged
        # with the DID only), wait; a replace to another DID in caching
        # mode adds the new DID's IOTLB, as for an attach.
        if op == 'replace' and cm:
            return (4, 1)
        return (3, 1)
    if group == 'hwpt':
        return (0, 0)
    if group.startswith('map_'):
        if op == 'map':
            # only caching mode may cache the not-present leaves
            return (2, 1) if cm else (0, 0)
        # page-selective IOTLB (or a wider one) + wait, before the pages go
        return (2, 1)
    return None


LABELS = {
    'pasid': 'PASID 5 %s',
    'rid': 'RID %s',
    'hwpt': 'HWPT %s',
    'map_4k': 'IOAS %s 4 KiB',
    'map_2m': 'IOAS %s 2 MiB',
    'map_1g': 'IOAS %s 1 GiB',
}


CORE_LABELS = {
    'rid': 'RID %s',
    'pasid': 'PASID 1 %s',
    'map_4k': 'iommu_%s 4 KiB',
    'map_2m': 'iommu_%s 2 MiB',
}


def label(group, op):
    return LABELS.get(group, group + ' %s') % op


def collect(path):
    recs = []
    tap = []
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if line.startswith('#J '):
                recs.append(json.loads(line[3:]))
            elif re.match(r'^(not )?ok \d+|^# ', line):
                tap.append(line)
    return recs, tap


def kernel_release(console):
    try:
        with open(console, errors='replace') as f:
            for line in f:
                m = re.search(r'Linux version (\S+)', line)
                if m:
                    return m.group(1)
    except FileNotFoundError:
        pass
    return None


def qemu_version():
    try:
        out = subprocess.run(['qemu-system-x86_64', '--version'],
                             capture_output=True, text=True).stdout
        return out.split('\n')[0]
    except OSError:
        return None


def git_commit():
    try:
        top = os.path.dirname(os.path.abspath(__file__))
        return subprocess.run(['git', '-C', top, 'describe', '--always',
                               '--dirty'], capture_output=True,
                              text=True).stdout.strip() or None
    except OSError:
        return None


def median(v):
    if not v:
        return None
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def fmt(v, spec='%.2f'):
    return '-' if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--results', required=True)
    ap.add_argument('--results-stock',
                    help='results of iommu_core_bench on the stock driver')
    ap.add_argument('--pair', nargs=2, action='append', default=[],
                    metavar=('VTD_SM', 'STOCK'),
                    help='results of one boot of each driver running '
                    'iommu_core_bench (the first pair may be the main logs)')
    ap.add_argument('--console')
    ap.add_argument('--json', required=True)
    ap.add_argument('--seconds', type=int)
    args = ap.parse_args()

    try:
        recs, tap = collect(args.results)
    except FileNotFoundError:
        print('bench: no results at %s' % args.results)
        return 1
    if args.results_stock:
        try:
            more, more_tap = collect(args.results_stock)
            recs += more
            tap += ['intel-iommu: ' + t for t in more_tap]
        except FileNotFoundError:
            print('bench: no results at %s' % args.results_stock)
            tap.append('not ok - no results of the stock driver')
    unit = next((r for r in recs if r['kind'] == 'unit'), {})
    cm = bool(unit.get('cap', 0) & CAP_CM)
    lat = {(r['group'], r['op']): r for r in recs if r['kind'] == 'latency'}
    inv = {(r['group'], r['op']): r for r in recs if r['kind'] == 'inval'}
    for key, r in inv.items():
        m = spec_minimum(key[0], key[1], cm)
        if m:
            r['spec_min_descs'], r['spec_min_batches'] = m

    out = {
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        'commit': git_commit(),
        'kernel': kernel_release(args.console) if args.console else None,
        'qemu': qemu_version(),
        'host_seconds': args.seconds,
        'caching_mode': cm,
        'unit': unit,
        'latency': list(lat.values()),
        'invalidations': list(inv.values()),
        'skips': [r for r in recs if r['kind'] == 'skip'],
        'scale_setup': next((r for r in recs
                             if r['kind'] == 'scale_setup'), None),
        'scale': [r for r in recs if r['kind'] == 'scale'],
        'scale_skipped': [r for r in recs if r['kind'] == 'scale_skip'],
        'scale_detach_newest': [r for r in recs
                                if r['kind'] == 'scale_detach_newest'],
        'scale_detach': next((r for r in recs
                              if r['kind'] == 'scale_detach'), None),
        'scale_reclaim': next((r for r in recs
                               if r['kind'] == 'scale_reclaim'), None),
        'scale_closed': next((r for r in recs
                              if r['kind'] == 'scale_closed'), None),
        'core': [r for r in recs if r['kind'] == 'core'],
        'core_skips': [r for r in recs if r['kind'] == 'core_skip'],
        'core_compare': [],
        'vfio': [r for r in recs if r['kind'] == 'vfio'],
        'vfio_compare': [],
        'tap': [t for t in tap if re.match(r'^(intel-iommu: )?(not )?ok', t)],
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')

    ref = unit.get('ref_iters')
    print('iommufd_bench: kernel %s, %s, caching mode %s' %
          (out['kernel'], out['qemu'], 'on' if cm else 'off'))
    print('ratios are times over a fixed CPU loop (%s iterations) timed in '
          'the same loop; us are raw TCG times (noisy)' % ref)
    print('desc/min, batch/min: what vtd_sm sent per operation over the VT-d '
          'minimum for a unit %s caching mode' % ('in' if cm else 'without'))
    print()
    hdr = '%-20s %5s %9s %9s %9s %9s  %-9s %-9s' % (
        'operation', 'n', 'med/ref', 'p99/ref', 'med us', 'p99 us',
        'desc/min', 'batch/min')
    print(hdr)
    print('-' * len(hdr))
    keys = list(lat.keys()) + [k for k in inv if k not in lat]
    for key in keys:
        r = lat.get(key, {})
        i = inv.get(key)
        d = b = '-'
        if i:
            d = '%d' % i['descs']
            if i['descs_max'] != i['descs']:
                d += '..%d' % i['descs_max']
            b = '%d' % i['batches']
            if i['batches_max'] != i['batches']:
                b += '..%d' % i['batches_max']
            if 'spec_min_descs' in i:
                d += '/%d' % i['spec_min_descs']
                b += '/%d' % i['spec_min_batches']
        print('%-20s %5s %9s %9s %9s %9s  %-9s %-9s' % (
            label(*key), r.get('n', '-'), fmt(r.get('ratio_median')),
            fmt(r.get('ratio_p99')),
            fmt(r['median_ns'] / 1e3 if r else None, '%.1f'),
            fmt(r['p99_ns'] / 1e3 if r else None, '%.1f'), d, b))
    for s in out['skips']:
        print('%-20s skipped: %s bytes: %s' % (s['group'], s['bytes'],
                                                s['reason']))

    print()
    ss = out['scale_setup']
    if ss:
        print('scale: one device, PASID width 2^%d (directory and setup: '
              '%d KiB); memory is the page allocator\'s net count' % (
                  ss['pasid_bits'], ss['setup_kib']))
    hdr = '%9s %9s %9s %9s %8s %11s %11s %11s' % (
        'PASIDs', 'level s', 'att/ref', 'vs 1st', 'att us', 'B/PASID',
        'slab B/P', 'pages B/P')
    print(hdr)
    print('-' * len(hdr))
    first = None
    for r in out['scale']:
        n = r['pasids']
        if first is None:
            first = r['ratio_median']
        mem = r['kernel_kib'] * 1024.0 / n
        slab = r['slab_kib'] * 1024.0 / n
        r['bytes_per_pasid'] = round(mem, 1)
        r['slab_bytes_per_pasid'] = round(slab, 1)
        r['page_bytes_per_pasid'] = round(mem - slab, 1)
        r['ratio_vs_first'] = round(r['ratio_median'] / first, 3)
        print('%9d %9.1f %9.2f %9.2f %8.1f %11.1f %11.1f %11.1f' % (
            n, r['level_seconds'], r['ratio_median'], r['ratio_vs_first'],
            r['attach_median_ns'] / 1e3, mem, slab, mem - slab))
    for r in out['scale_skipped']:
        if 'reason' in r:
            print('%9d stopped: %s' % (r['pasids'], r['reason']))
            continue
        print('%9d skipped: projected %.0f s (attach %.1f us each, detach '
              'about the same) over the %.0f s budget' % (
                  r['pasids'], r['projected_s'], r['per_attach_us'],
                  r['budget_s']))
    for r in out['scale_detach_newest']:
        print('detach of the %d newest of %d PASIDs: median %.1f us, %.2f x '
              'the reference' % (r['n'], r['pasids'],
                                 r['detach_median_ns'] / 1e3,
                                 r['ratio_median']))
    d = out['scale_detach']
    if d:
        print('detach of all %d PASIDs: %.1f s; left behind: %d KiB '
              '(slab %d KiB)' % (d['pasids'], d['seconds'],
                                  d['kernel_kib_left'], d['slab_kib_left']))
    d = out['scale_reclaim']
    if d:
        tables = ''
        if 'pasid_tables' in d:
            tables = '; PASID tables held %d, given back %d' % (
                d['pasid_tables'], d['pasid_tables_reclaimed'])
        print('after drop_caches (the shrinkers ran): %d KiB (slab %d KiB)%s'
              % (d['kernel_kib_left'], d['slab_kib_left'], tables))
    d = out['scale_closed']
    if d:
        print('after the device node is closed and edu released: %d KiB '
              '(slab %d KiB)' % (d['kernel_kib_left'], d['slab_kib_left']))
    # IOMMU core calls: per pair of boots, vtd_sm's ratio over the stock
    # driver's; the median, min and max over the pairs.
    pairs = []
    for vtd_path, stock_path in args.pair:
        one = {}
        for path in (vtd_path, stock_path):
            try:
                for c in collect(path)[0]:
                    if c['kind'] == 'core':
                        one.setdefault((c['group'], c['op']),
                                       {})[c['driver']] = c['ratio_median']
            except FileNotFoundError:
                tap.append('not ok - no results at %s' % path)
                out['tap'].append(tap[-1])
        pairs.append(one)
    if not pairs and out['core']:
        one = {}
        for c in out['core']:
            one.setdefault((c['group'], c['op']),
                           {})[c['driver']] = c['ratio_median']
        pairs.append(one)
    keys = []
    for one in pairs:
        keys += [k for k in one if k not in keys]
    if keys:
        print()
        print('IOMMU core calls on edu, same QEMU and kernel, %d boots of '
              'each driver: medians over the reference of each boot' %
              len(pairs))
        hdr = '%-20s %12s %9s %13s %13s' % (
            'operation', 'intel-iommu', 'vtd_sm', 'vtd_sm/stock',
            'min..max')
        print(hdr)
        print('-' * len(hdr))
    for key in keys:
        s = [p[key]['intel-iommu'] for p in pairs
             if 'intel-iommu' in p.get(key, {})]
        v = [p[key]['vtd_sm'] for p in pairs if 'vtd_sm' in p.get(key, {})]
        rel = [p[key]['vtd_sm'] / p[key]['intel-iommu'] for p in pairs
               if 'vtd_sm' in p.get(key, {}) and
               p[key].get('intel-iommu')]
        rec = {'group': key[0], 'op': key[1], 'pairs': len(pairs),
               'intel_iommu': median(s), 'vtd_sm': median(v),
               'vtd_sm_over_stock': median(rel),
               'vtd_sm_over_stock_min': min(rel) if rel else None,
               'vtd_sm_over_stock_max': max(rel) if rel else None,
               'vtd_sm_over_stock_each': rel}
        out['core_compare'].append(rec)
        name = CORE_LABELS.get(key[0], key[0] + ' %s') % key[1]
        spread = ('%.2f..%.2f' % (min(rel), max(rel))) if rel else '-'
        print('%-20s %12s %9s %13s %13s' % (
            name, fmt(rec['intel_iommu'], '%.3f'), fmt(rec['vtd_sm'], '%.3f'),
            fmt(rec['vtd_sm_over_stock']), spread))
    for c in out['core_skips']:
        print('%-20s %s: %s' % (c['group'], c['driver'], c['reason']))
    vfio = {(v['group'], v['op']): v for v in out['vfio']}
    if vfio:
        print()
        print('IOAS map/unmap (iommufd_pasid on vtd_sm) and VFIO type1 '
              '(stock intel-iommu): median over the reference of each boot')
        hdr = '%-20s %9s %9s %11s' % ('operation', 'IOAS', 'type1',
                                      'IOAS/type1')
        print(hdr)
        print('-' * len(hdr))
        for key, v in vfio.items():
            i = lat.get(key, {}).get('ratio_median')
            t = v['ratio_median']
            rel = i / t if i and t else None
            out['vfio_compare'].append({'group': key[0], 'op': key[1],
                                        'ioas': i, 'type1': t,
                                        'ioas_over_type1': rel})
            print('%-20s %9s %9s %11s' % (label(*key)[5:], fmt(i, '%.3f'),
                                          fmt(t, '%.3f'),
                                          fmt(rel, '%.2f' if rel is None or
                                              rel >= 0.1 else '%.4f')))
    # rewrite with the derived per-PASID values
    with open(args.json, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print()
    for t in out['tap']:
        print(t)
    bad = [t for t in out['tap'] if t.startswith('not ok')]
    return 1 if bad or not out['tap'] else 0


if __name__ == '__main__':
    sys.exit(main())
