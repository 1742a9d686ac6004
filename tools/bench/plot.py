#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Draw make bench's results (bench.json) as PNGs with gnuplot.

  scale.png    attach, and detach of the newest PASIDs, over the
               reference, against the number of PASIDs attached
  compare.png  vtd_sm over the stock intel-iommu through the same IOMMU
               core calls (median of the pairs of boots, with the lowest
               and highest pair), and IOAS map/unmap over VFIO type1

plot.py <bench.json> <output directory>
"""

import json
import os
import shutil
import subprocess
import sys

SCALE = '''set terminal pngcairo size 800,500 font ",10" noenhanced
set output "{out}/scale.png"
set title "PASIDs attached to one device (vtd_sm, QEMU 7.2; {run})"
set logscale xy
set xlabel "PASIDs attached"
set ylabel "median time / reference"
set key top left
set grid
set format x "%.0s%c"
set xrange [0.5:2e6]
plot "{out}/scale.dat" using 1:2 with linespoints title "attach (next PASID)", \\
     "{out}/detach.dat" using 1:2 with linespoints title "detach (newest PASID)"
'''

COMPARE = '''reset
set terminal pngcairo size 900,520 font ",10" noenhanced
set rmargin 10
set bmargin 7
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
set output "{out}/compare.png"
set title "vtd_sm over the stock driver, iommufd over VFIO type1 (1 = as fast; {run})"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set logscale y
set yrange [0.001:4]
set ylabel "time ratio"
set grid y
set xtics rotate by -30
set key off
plot "{out}/compare.dat" using 2:3:4:xticlabels(1)
'''


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        d = json.load(f)
    out = os.path.abspath(sys.argv[2])
    if not shutil.which('gnuplot'):
        print('plot: no gnuplot, no PNGs (make deps installs gnuplot-nox)')
        return 0
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'scale.dat'), 'w') as f:
        for r in d.get('scale', []):
            f.write('%d %f\n' % (r['pasids'], r['ratio_median']))
    with open(os.path.join(out, 'detach.dat'), 'w') as f:
        for r in d.get('scale_detach_newest', []):
            f.write('%d %f\n' % (r['pasids'], r['ratio_median']))
    names = {'rid': 'RID %s', 'pasid': 'PASID %s', 'map_4k': '%s 4K',
             'map_2m': '%s 2M', 'map_1g': '%s 1G'}
    with open(os.path.join(out, 'compare.dat'), 'w') as f:
        for r in d.get('core_compare', []):
            if r.get('vtd_sm_over_stock') is None:
                continue
            name = names.get(r['group'], r['group'] + ' %s') % r['op']
            f.write('"core %s" %f %f %f\n' % (
                name, r['vtd_sm_over_stock'], r['vtd_sm_over_stock_min'],
                r['vtd_sm_over_stock_max']))
        for r in d.get('vfio_compare', []):
            if r.get('ioas_over_type1') is None:
                continue
            name = names.get(r['group'], r['group'] + ' %s') % r['op']
            v = r['ioas_over_type1']
            f.write('"IOAS/type1 %s" %f %f %f\n' % (name, v, v, v))
    # which run drew it: the commit and the date of bench.json
    run = 'commit %s, %s' % (d.get('commit') or '?',
                             (d.get('date') or '?')[:16].replace('T', ' '))
    script = (SCALE.format(out=out, run=run) +
              COMPARE.format(out=out, run=run))
    rc = subprocess.run(['gnuplot'], input=script, text=True).returncode
    if rc == 0:
        print('plots: %s/scale.png %s/compare.png' % (out, out))
    return rc


if __name__ == '__main__':
    sys.exit(main())
