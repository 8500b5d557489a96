#!/usr/bin/env python3
"""bench.py OUT KERNEL...: gather what make bench printed and report it.

Reads OUT/KERNEL/latest.tests (vfio_bench's "csv:" lines, its "trace:"
lines, written to OUT/KERNEL/trace-DEVICE-PATH.txt, and its "profile:"
lines, written to OUT/KERNEL/profile-N.txt and compared in OUT/profile.txt)
and
OUT/KERNEL/latest.log (the KUnit suite's grace-period line) for each
kernel ("series", "base"); writes OUT/bench.csv, prints the table with the
ratios against the issue's targets, and plots OUT/bench-scaling.png and
OUT/bench-latency.png with gnuplot.

bench.csv columns: kernel,kind,key,item,value,extra,count
  latency: device, path (node/group/devnull), median us, p99 us, iterations
  scaling: N, step (create/node/group/node-hot/group-hot/remove), us per device
  memory:  N, "slab", slab bytes per mtty device
  rcu:     devices, free_after_rcu/plain, grace periods while putting,
           grace periods until freed, us
"""
import csv
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys

# vfio_bench's scaling steps; the -hot ones cycle through 16 devices,
# devnull opens /dev/null: what N devices cost the machine
STEPS = ('create', 'node', 'group', 'node-hot', 'group-hot', 'devnull', 'remove')
PROFILE_RE = re.compile(r'^\s*(\S+)\s+(\d+)\s+([\d.]+) us\s+([\d.]+) us')
RCU_RE = re.compile(r'(\d+) removals: free_after_rcu (\d+) grace periods while '
                    r'putting, (\d+) until freed, (\d+) us; without (\d+), (\d+), (\d+) us')


def read_kernel(out, kernel, profiles):
    """Return the csv rows of @kernel; fill @profiles[(kernel, N, function)]
    with [hits, total us] over all CPUs."""
    rows = []
    traces = {}
    prof_lines = {}
    tests = os.path.join(out, kernel, 'latest.tests')
    if os.path.exists(tests):
        for line in open(tests, errors='replace'):
            if line.startswith('trace:'):
                dev, path, text = line[6:].split(':', 2)
                traces.setdefault((dev, path), []).append(text)
                continue
            if line.startswith('profile:N='):
                n, cpu, text = line[10:].split(':', 2)
                prof_lines.setdefault(int(n), []).append('%s: %s' % (cpu, text))
                m = PROFILE_RE.match(text)
                if m:
                    v = profiles.setdefault((kernel, int(n), m.group(1)), [0, 0.0])
                    v[0] += int(m.group(2))
                    v[1] += float(m.group(3))
                continue
            if not line.startswith('csv:'):
                continue
            f = line[4:].strip().split(',')
            if f[0] == 'latency' and len(f) == 6:
                rows.append([kernel, 'latency', f[1], f[2], f[4], f[5], f[3]])
            elif f[0] in ('scaling', 'memory') and len(f) == 4:
                rows.append([kernel, f[0], f[1], f[2], f[3], '', ''])
    log = os.path.join(out, kernel, 'latest.log')
    if os.path.exists(log):
        m = RCU_RE.search(open(log, errors='replace').read())
        if m:
            g = m.groups()
            rows.append([kernel, 'rcu', g[0], 'free_after_rcu', g[1], g[2], g[3]])
            rows.append([kernel, 'rcu', g[0], 'plain', g[4], g[5], g[6]])
    for (dev, path), lines in traces.items():
        name = os.path.join(out, kernel, 'trace-%s-%s.txt' % (dev, path))
        with open(name, 'w') as f:
            f.writelines(lines)
    for n, lines in prof_lines.items():
        with open(os.path.join(out, kernel, 'profile-%d.txt' % n), 'w') as f:
            f.writelines(lines)
    return rows


def profile_report(out, kernels, profiles):
    """Per create, the time of each profiled function (callees included)
    at the smallest and the largest size, the functions that grew most
    first: which step of a create grows with N."""
    lines = []
    for k in kernels:
        sizes = sorted({n for (kk, n, _) in profiles if kk == k})
        if len(sizes) < 2:
            continue
        lo, hi = sizes[0], sizes[-1]
        creates = {n: profiles.get((k, n, 'mdev_device_create'), [0])[0] for n in (lo, hi)}
        if not all(creates.values()):
            continue
        funcs = {f for (kk, n, f) in profiles if kk == k and n in (lo, hi)}

        def per_create(n, f):
            return profiles.get((k, n, f), [0, 0.0])[1] / creates[n]

        def calls(n, f):
            return profiles.get((k, n, f), [0, 0.0])[0] / creates[n]
        order = sorted(funcs, key=lambda f: per_create(hi, f) - per_create(lo, f),
                       reverse=True)
        lines.append('%s: us per create (callees included), %d creates profiled at N=%d '
                     'and %d at N=%d' % (k, creates[lo], lo, creates[hi], hi))
        lines.append('  %-32s %9s %9s %9s %7s' % ('function', 'calls', 'N=%d' % lo,
                                                 'N=%d' % hi, 'ratio'))
        for f in order:
            a, b = per_create(lo, f), per_create(hi, f)
            lines.append('  %-32s %9.1f %9.1f %9.1f %7s'
                         % (f, calls(hi, f), a, b, '%.2f' % (b / a) if a else '-'))
    if lines:
        with open(os.path.join(out, 'profile.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return lines


def cpu_model():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main():
    out, kernels = sys.argv[1], sys.argv[2:]
    rows = []
    profiles = {}
    for k in kernels:
        rows += read_kernel(out, k, profiles)
    with open(os.path.join(out, 'bench.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['kernel', 'kind', 'key', 'item', 'value', 'extra', 'count'])
        w.writerows(rows)

    lat = {(r[0], r[2], r[3]): (float(r[4]), float(r[5]), int(r[6]))
           for r in rows if r[1] == 'latency'}
    scal = {(r[0], int(r[2]), r[3]): float(r[4]) for r in rows if r[1] == 'scaling'}
    mem = {(r[0], int(r[2])): int(r[4]) for r in rows if r[1] == 'memory'}
    rcu = {(r[0], r[3]): (int(r[2]), int(r[4]), int(r[5]), int(r[6]))
           for r in rows if r[1] == 'rcu'}

    print('vfio benchmarks, %s, %d CPUs of %s, QEMU TCG guest (2 vCPUs, 1 GiB)'
          % (datetime.date.today().isoformat(), os.cpu_count(), cpu_model()))
    print('kernels: %s; csv: %s' % (', '.join(kernels), os.path.join(out, 'bench.csv')))
    if not rows:
        print('no figures: did the VMs run? (%s/<kernel>/latest.tests)' % out)
        return 1

    print('\nOpen to usable, us: median / p99')
    print('%-9s %-8s' % ('device', 'path') + ''.join('%-22s' % k for k in kernels))
    for dev in ('mtty', 'vfio-pci'):
        for path in ('node', 'group', 'devnull'):
            cells = []
            for k in kernels:
                v = lat.get((k, dev, path))
                cells.append('%.1f / %.1f' % v[:2] if v else '-')
            if any(c != '-' for c in cells):
                print('%-9s %-8s' % (dev, path) + ''.join('%-22s' % c for c in cells))

    def verdict(ok):
        return 'met' if ok else 'MISSED'

    print('\nTargets')
    for dev in ('mtty', 'vfio-pci'):
        n, g = lat.get(('series', dev, 'node')), lat.get(('series', dev, 'group'))
        if n and g:
            r = n[0] / g[0]
            print('  node / group path, median, %-8s  %.2f  (<= 0.80: %s)'
                  % (dev, r, verdict(r <= 0.80)))
    for dev in ('mtty', 'vfio-pci'):
        s, b = lat.get(('series', dev, 'group')), lat.get(('base', dev, 'group'))
        if s and b:
            r = b[0] / s[0]
            print('  group path speed, series vs base (base median / series median), %-8s  %.2f  (>= 0.97: %s)'
                  % (dev, r, verdict(r >= 0.97)))
    for k in kernels:
        sizes = sorted({n for (kk, n, _) in scal if kk == k})
        if len(sizes) < 2:
            continue
        lo, hi = sizes[0], sizes[-1]
        parts = []
        for step in STEPS:
            if (k, lo, step) in scal and (k, hi, step) in scal and scal[(k, lo, step)] > 0:
                r = scal[(k, hi, step)] / scal[(k, lo, step)]
                parts.append('%s %.2f%s' % (step, r, '' if r <= 1.2 else ' (!)'))
        print('  per-device cost at %d / at %d, %-6s  %s  (<= 1.2%s)'
              % (hi, lo, k, ', '.join(parts), ': a target for the series only'
                 if k != 'series' else ''))
    for k in kernels:
        v, p = rcu.get((k, 'free_after_rcu')), rcu.get((k, 'plain'))
        if v:
            print('  %d RCU-deferred frees, %s: %d grace periods while putting and releasing'
                  ' (<= 2: %s), %d until all freed, %d us; without the opt-in %d, %d, %d us'
                  % (v[0], k, v[1], verdict(v[1] <= 2), v[2], v[3], p[1], p[2], p[3]))

    sizes = sorted({n for (_, n, _) in scal})
    if sizes:
        print('\nPer device, us, against N')
        print('%-7s %-10s' % ('N', 'step') + ''.join('%-12s' % k for k in kernels))
        for n in sizes:
            for step in STEPS:
                cells = ['%.1f' % scal[(k, n, step)] if (k, n, step) in scal else '-'
                         for k in kernels]
                if any(c != '-' for c in cells):
                    print('%-7d %-10s' % (n, step) + ''.join('%-12s' % c for c in cells))
        print('\nSlab bytes per mtty device (growth of Slab over the creates)')
        print('%-7s' % 'N' + ''.join('%-12s' % k for k in kernels)
              + ('series - base' if kernels == ['series', 'base'] else ''))
        for n in sizes:
            cells = [mem.get((k, n)) for k in kernels]
            diff = ''
            if kernels == ['series', 'base'] and None not in cells:
                diff = '%+d' % (cells[0] - cells[1])
            print('%-7d' % n + ''.join('%-12s' % ('-' if c is None else c) for c in cells) + diff)

    prof = profile_report(out, kernels, profiles)
    if prof:
        print('\nCreate profile (ftrace function profiler, one vCPU; in %s), the '
              '12 steps that grew most' % os.path.join(out, 'profile.txt'))
        for line in prof:
            if not line.startswith('  ') or line.startswith('  function'):
                print(line)
                shown = 0
            elif shown < 12:
                print(line)
                shown += 1

    plot(out, kernels, lat, scal)
    return 0


def plot(out, kernels, lat, scal):
    if not shutil.which('gnuplot'):
        print('\nno gnuplot: no plots (scripts/deps.sh installs gnuplot-nox)')
        return
    dat = os.path.join(out, 'scaling.dat')
    sizes = sorted({n for (_, n, _) in scal})
    cols = [(k, s) for k in kernels for s in STEPS
            if any((k, n, s) in scal for n in sizes)]
    with open(dat, 'w') as f:
        f.write('# N ' + ' '.join('%s-%s' % c for c in cols) + '\n')
        for n in sizes:
            f.write('%d ' % n + ' '.join(str(scal.get((k, n, s), 'NaN')) for k, s in cols) + '\n')
    ldat = os.path.join(out, 'latency.dat')
    with open(ldat, 'w') as f:
        f.write('# device-path ' + ' '.join(kernels) + '\n')
        for dev in ('mtty', 'vfio-pci'):
            for path in ('node', 'group', 'devnull'):
                vals = [lat.get((k, dev, path)) for k in kernels]
                if any(vals):
                    f.write('%s/%s ' % (dev, path)
                            + ' '.join(str(v[0]) if v else 'NaN' for v in vals) + '\n')
    # A run without scaling sizes (or without latency rows) has no such plot.
    scaling = '''set output '{out}/bench-scaling.png'
set title 'Per-device cost against the number of mtty devices (TCG guest)'
set logscale x 2
set xlabel 'mtty devices (N)'
set ylabel 'us per device (log)'
set logscale y 10
set key outside right
plot {lines}
''' if cols else ''
    script = '''set terminal pngcairo size 1000,600
{scaling}set output '{out}/bench-latency.png'
set title 'Open to usable, median (TCG guest)'
unset logscale x
set ylabel 'us (log)'
set xlabel ''
set style data histograms
set style histogram clustered
set style fill solid 0.8
set xtics rotate by -30
set logscale y 10
plot {bars}
'''.format(out=out, scaling=scaling.format(out=out, lines=', '.join(
        "'%s' using 1:%d with linespoints dashtype %d title '%s %s'"
        % (dat, i + 2, 1 if k == 'series' else 2, k, s) for i, (k, s) in enumerate(cols))),
           bars=', '.join("'%s' using %d:xtic(1) title '%s'" % (ldat, i + 2, k)
                          for i, k in enumerate(kernels)))
    r = subprocess.run(['gnuplot'], input=script, text=True, capture_output=True)
    if r.returncode:
        print('\ngnuplot failed: %s' % r.stderr.strip())
    else:
        print('\nplots: ' + ', '.join('%s/bench-%s.png' % (out, p)
                                      for p in (['scaling'] if cols else []) + ['latency']))


if __name__ == '__main__':
    sys.exit(main())
