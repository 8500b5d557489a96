#!/usr/bin/env python3
"""results.py LOG TREE EXPECTED [TESTS]: the verdict of one VM run.

KUnit (TAP 14, printed by the kernel at boot) goes through the base tree's
tools/testing/kunit/kunit.py parse. kselftest output (TAP 13, nested by the
runner) is parsed here: every test case counts, and a binary that failed
without reporting a failing case counts once more. The run fails when the
log shows a kernel splat, when an expected suite did not run, or when the
guest did not finish. A skipped case fails the run too, unless EXPECTED
lists it as a skip by design of this boot (BOOT: main, the default, or
noiommu). The last line is "N passed, N failed".
"""
import json
import os
import re
import subprocess
import sys
import tempfile

SPLATS = [
    r'BUG: ', r'WARNING: ', r'KASAN', r'UBSAN', r'general protection fault',
    r'Kernel panic', r'Oops', r'unreferenced object 0x', r'kmemleak: .*new suspected',
    r'INFO: task .* blocked for more than', r'INFO: possible', r'INFO: trying to register non-static key',
    r'inconsistent lock state', r'circular locking dependency', r'ODEBUG: ', r'Call Trace:',
    r'watchdog: BUG: soft lockup', r'rcu: INFO: rcu_.* detected stalls',
]
SPLAT_RE = re.compile('|'.join(SPLATS))
# Lines that match the patterns above but are not reports.
BENIGN_RE = re.compile(r'KernelAddressSanitizer initialized|kasan: |KASAN: .*(enabled|disabled)'
                       r'|kmemleak: Kernel memory leak detector initialized'
                       r'|kmemleak: Automatic memory scanning thread'
                       # KUnit cases that say why they check less on a
                       # kernel without KASAN (make prove-tests' Boot: bench)
                       r'|needs KASAN_GENERIC to see')


# The stack trace of a failed allocation without __GFP_NOWARN (warn_alloc())
# in the fail-nth test's own task (fail-nth is per task): what the sweeps
# inject, not a bug. Its "Call Trace:" line comes two or three lines after
# the report, which starts with the task's name; DEBUG_KOBJECT_RELEASE's
# messages from other tasks may come in between, and do not count.
ALLOC_FAILURE_RE = re.compile(r'vfio_fail_nth_t: (page allocation|vmalloc: allocation) failure')
INTERLEAVED_RE = re.compile(r"kobject: '.*' \(.*\): kobject_(release|cleanup)|^\s*$")


def alloc_warning(lines, i):
    if 'Call Trace:' not in lines[i]:
        return False
    before = [l for l in lines[max(0, i - 40):i]
              if not INTERLEAVED_RE.search(strip(l))][-4:]
    return any(ALLOC_FAILURE_RE.search(l) for l in before)


def strip(line):
    return re.sub(r'^\[\s*\d+\.\d+\]\s?', '', line.rstrip('\n'))


def kunit(boot_lines, tree):
    """Run kunit.py parse on the boot part of the log; return suites and counts."""
    if not any('TAP version' in l for l in boot_lines):
        return {}, 0, 0, 'no KUnit output in the boot log'
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, 'boot.log')
        js = os.path.join(d, 'kunit.json')
        with open(src, 'w') as f:
            f.writelines(boot_lines)
        p = subprocess.run([sys.executable, os.path.join(tree, 'tools/testing/kunit/kunit.py'),
                            'parse', '--json', js, src], capture_output=True, text=True)
        out = re.sub(r'\x1b\[[0-9;]*m', '', p.stdout + p.stderr)
        sys.stdout.write(''.join('  ' + l + '\n' for l in out.splitlines() if 'stored in' not in l))
        m = re.search(r'Testing complete\. (\d+) tests run\. (\d+) failed\. (\d+) crashed\.', out)
        if not m:
            return {}, 0, 0, 'kunit.py parse gave no summary'
        run, failed, crashed = map(int, m.groups())
        suites = {}
        try:
            with open(js) as f:
                for g in json.load(f).get('sub_groups', []):
                    suites[g['name']] = all(t['status'] == 'PASS' for t in g['test_cases'])
        except (OSError, ValueError, KeyError):
            pass
        return suites, run - failed - crashed, failed + crashed, None


def kselftest(lines):
    """Parse the runner's TAP 13: per binary, its nested cases."""
    binaries = {}
    cur = None
    case_re = re.compile(r'^# (ok|not ok) \d+ (.*)$')
    top_re = re.compile(r'^(ok|not ok) \d+ selftests: (\S+): (\S+)(.*)$')
    for raw in lines:
        l = strip(raw)
        m = re.match(r'^# selftests: (\S+): (\S+)$', l)
        if m:
            cur = {'cases': [], 'result': None}
            binaries[m.group(2)] = cur
            continue
        m = case_re.match(l)
        if m and cur is not None:
            name = m.group(2)
            skip = '# SKIP' in name
            cur['cases'].append((name, 'skip' if skip else ('pass' if m.group(1) == 'ok' else 'fail')))
            continue
        m = top_re.match(l)
        if m:
            b = binaries.setdefault(m.group(3), {'cases': [], 'result': None})
            b['result'] = 'skip' if '# SKIP' in m.group(4) else ('pass' if m.group(1) == 'ok' else 'fail')
            b['note'] = m.group(4).strip()
            cur = None
    return binaries


def main():
    log, tree, expected = sys.argv[1], sys.argv[2], sys.argv[3]
    only = sys.argv[4].split(',') if len(sys.argv) > 4 and sys.argv[4] else None
    lines = open(log, errors='replace').readlines()
    problems = []
    passed = failed = skipped = 0

    up = next((i for i, l in enumerate(lines) if '=== GUEST UP' in l), None)
    if up is None:
        problems.append('the guest never reached its init')
        up = len(lines)
    if not any('=== GUEST DONE' in l for l in lines):
        problems.append('the guest did not finish (crash, panic or timeout)')

    print('KUnit (kunit.py parse):')
    suites, kp, kf, err = kunit(lines[:up], tree)
    if err:
        problems.append(err)
    passed += kp
    failed += kf

    print('kselftests:')
    # The guest writes the runner's output to a second serial port.
    tests = log[:-len('.log')] + '.tests' if log.endswith('.log') else None
    src = lines
    if tests and os.path.exists(tests):
        src = [l.replace('\r', '') for l in open(tests, errors='replace').readlines()]
    ks_lines = []
    inside = False
    for l in src:
        if '=== KSELFTEST BEGIN' in l:
            inside = True
        elif '=== KSELFTEST END' in l:
            inside = False
        elif inside:
            ks_lines.append(l)
    binaries = kselftest(ks_lines)
    boot = os.environ.get('BOOT', 'main')
    # 5.10's harness prints a skipped case as "ok N # SKIP <reason>",
    # without its name: a skip by design is known by the start of its
    # reason, excuses one skip, and must happen when its binary ran.
    by_design = []
    for line in open(expected):
        line = line.split('#')[0].split(None, 3)
        if len(line) == 4 and line[0] == 'skip' and line[1] == boot:
            by_design.append([line[2], '# SKIP ' + line[3].strip(), False])
    for name, b in binaries.items():
        cases = []
        for c in b['cases']:
            d = next((d for d in by_design if c[1] == 'skip' and not d[2] and
                      d[0] == name and c[0].startswith(d[1])), None)
            if d:
                d[2] = True
                c = (c[0], 'skip-by-design')
            cases.append(c)
        b['cases'] = cases
    for n, reason, seen in by_design:
        if n in binaries and binaries[n]['cases'] and not seen:
            problems.append(f'{n}: no case skipped as the {boot} boot must ("{reason}")')
    for name, b in binaries.items():
        p = sum(1 for c in b['cases'] if c[1] == 'pass')
        f = sum(1 for c in b['cases'] if c[1] == 'fail')
        s = sum(1 for c in b['cases'] if c[1] == 'skip')
        if b['result'] == 'fail' and f == 0:
            f += 1   # crashed, timed out or failed outside a case
        if b['result'] == 'skip' and not b['cases']:
            s += 1
        for c in b['cases']:
            if c[1] == 'skip-by-design':
                print(f'  skip by design of the {boot} boot: {name}: {c[0]}')
            elif c[1] != 'pass':
                print(f'  {c[1].upper()}: {name}: {c[0]}')
        print(f'  {name}: {p} passed, {f} failed, {s} skipped {b.get("note", "")}'.rstrip())
        passed, failed, skipped = passed + p, failed + f, skipped + s

    for line in open(expected):
        line = line.split('#')[0].split()
        if len(line) not in (2, 3):
            continue
        if line[0] == 'skip':
            continue
        kind, name = line[:2]
        # A third field names the file that brings the test: a tree
        # without it (make at N, before the patch) does not expect it.
        if len(line) == 3 and not os.path.exists(os.path.join(tree, line[2])):
            continue
        if only and kind == 'kselftest' and name not in only:
            continue
        if kind == 'kunit' and name not in suites:
            problems.append(f'expected KUnit suite {name} did not run')
        if kind == 'kselftest' and name not in binaries:
            problems.append(f'expected kselftest {name} did not run')

    splats = [strip(l) for i, l in enumerate(lines)
              if SPLAT_RE.search(l) and not BENIGN_RE.search(l) and not alloc_warning(lines, i)]
    if splats:
        problems.append(f'{len(splats)} kernel report line(s) in the log')
        for s in splats[:20]:
            print('  SPLAT: ' + s)
    if skipped:
        problems.append(f'{skipped} test(s) skipped: a skip hides a missing device or option')
    # Each problem counts as one failure, so the last line never looks green
    # for a run that is not.
    for p in problems:
        print('verdict: FAIL: ' + p)
    failed += len(problems)
    print(f'log: {log}')
    print(f'{passed} passed, {failed} failed' + (f', {skipped} skipped' if skipped else ''))
    sys.exit(1 if failed else 0)


main()
