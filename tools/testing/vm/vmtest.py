#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot one test VM and judge it.

Builds an initramfs (busybox-static, the modules, the statically linked
tests, init and a plan), boots qemu-system-x86_64 on q35 with an emulated
VT-d in scalable mode and the edu device, waits for the guest with a hard
timeout, then reads the results port (TAP from kselftests, KTAP from KUnit)
and the kernel console.  A test that failed, a step that did not finish, a
timeout, or any kernel splat on the console fails the leg.

Exit status 0 only if the leg passed.  The last line printed is
    <leg>: N passed, N failed, N skipped
and the same three numbers are written to <logdir>/summary.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

VMDIR = os.path.dirname(os.path.abspath(__file__))

# Console lines that mean the kernel is unhappy, whatever the tests said.
SPLATS = [
    r'BUG:',
    r'WARNING:',
    r'KASAN:',
    r'UBSAN:',
    r'Oops',
    r'general protection fault',
    r'Kernel panic',
    r'possible circular locking',
    r'possible recursive locking',
    r'inconsistent lock state',
    r'suspicious RCU usage',
    r'sleeping function called from invalid context',
    r'unreferenced object 0x',
    r'new suspected memory leaks',
    r'rcu: INFO: rcu_\w+ (self-)?detected stall',
    r'INFO: task \S+ blocked for more than',
    r'list_(add|del) corruption',
    # lockdep gave up: later lock bugs would go unreported
    r'INFO: trying to register non-static key',
    r'turning off the locking correctness validator',
]
SPLAT_RE = re.compile('|'.join(SPLATS))

RESULT_RE = re.compile(r'^(\s*)(ok|not ok) (\d+)\s*-?\s*([^#]*?)\s*(#\s*(.*))?$')
PLAN_RE = re.compile(r'^(\s*)1\.\.(\d+)')
# Comment lines kept with a failing result, for the report.
CONTEXT_LINES = 12


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []
        self.skips = []
        self.details = {}   # failure -> the comment lines that led to it

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures
        self.skips += other.skips
        self.details.update(other.details)

    def fail(self, what):
        self.failed += 1
        self.failures.append(what)


def parse_tap(step, lines):
    """Count leaf results of a TAP/KTAP stream (nesting by indentation).

    A result line is a leaf unless deeper results came just before it; a
    failing parent whose children all passed (a suite that could not run)
    still counts as one failure.  Plans that promise more results than
    arrived count the missing ones as failures.
    """
    t = Tally()
    deeper = {}     # indent -> (results seen at deeper indent, any failed)
    plans = {}      # indent -> promised count
    seen = {}       # indent -> results seen at that indent
    comments = []   # diagnostics since the last result, for a failure
    for raw in lines:
        line = raw.rstrip()
        if line.lstrip().startswith('#'):
            comments = (comments + [line.strip()])[-CONTEXT_LINES:]
        m = PLAN_RE.match(line)
        if m:
            ind = len(m.group(1))
            plans[ind] = int(m.group(2))
            # A plan after its results (TAP allows it) keeps the count.
            seen.setdefault(ind, 0)
            skip = re.search(r'#\s*SKIP\s*(.*)', line, re.I)
            if plans[ind] == 0 and skip:
                t.skipped += 1
                t.skips.append('%s: %s' % (step, skip.group(1)))
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        context, comments = comments, []
        ind = len(m.group(1))
        ok = m.group(2) == 'ok'
        name = '%s: %s' % (step, m.group(4) or m.group(3))
        directive = (m.group(6) or '').strip()
        seen[ind] = seen.get(ind, 0) + 1
        children = [k for k in deeper if k > ind]
        had_children = any(deeper[k][0] for k in children)
        child_failed = any(deeper[k][1] for k in children)
        for k in children:
            del deeper[k]
            plans.pop(k, None)
            seen.pop(k, None)
        cnt, bad = deeper.get(ind, (0, False))
        deeper[ind] = (cnt + 1, bad or not ok)
        if had_children:
            if not ok and not child_failed:
                t.fail(name)
            continue
        if directive.upper().startswith('SKIP'):
            t.skipped += 1
            t.skips.append('%s (%s)' % (name, directive[4:].strip() or
                                        'no reason given'))
        elif ok:
            t.passed += 1
        else:
            t.fail(name)
            t.details[name] = context
    for ind, want in plans.items():
        got = seen.get(ind, 0)
        if got < want:
            for i in range(want - got):
                t.fail('%s: result %d of %d never arrived' %
                       (step, got + i + 1, want))
    return t


def parse_results(text):
    """Split the results port into steps and tally them."""
    total = Tally()
    done = False
    cur = None
    body = []
    for line in text.replace('\r', '').split('\n'):
        if line.startswith('vmtest: begin '):
            cur = line[len('vmtest: begin '):].strip()
            body = []
        elif line.startswith('vmtest: end ') and cur is not None:
            rc = line.rsplit('rc=', 1)[-1].strip()
            t = parse_tap(cur, body)
            if rc != '0' and t.failed == 0:
                t.fail('%s: exited with status %s' % (cur, rc))
            if t.passed + t.failed + t.skipped == 0:
                t.fail('%s: reported no results' % cur)
            total.add(t)
            cur = None
        elif line.startswith('vmtest: done'):
            done = True
        elif cur is not None:
            body.append(line)
    if cur is not None:
        t = parse_tap(cur, body)
        t.fail('%s: never finished' % cur)
        total.add(t)
    return total, done


def splats(console):
    found = []
    for line in console.replace('\r', '').split('\n'):
        if SPLAT_RE.search(line):
            found.append(line.strip())
    return found


def find_qemu(version):
    if version == '7.2':
        return ['qemu-system-x86_64'], []
    root = trixie_root()
    loader = os.path.join(root, 'lib64/ld-linux-x86-64.so.2')
    libs = ':'.join(os.path.join(root, d) for d in
                    ('usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'))
    cmd = [loader, '--library-path', libs,
           os.path.join(root, 'usr/bin/qemu-system-x86_64')]
    data = []
    for d in ('usr/share/qemu', 'usr/share/seabios', 'usr/lib/ipxe/qemu'):
        data += ['-L', os.path.join(root, d)]
    os.environ['QEMU_MODULE_DIR'] = os.path.join(
        root, 'usr/lib/x86_64-linux-gnu/qemu')
    return cmd, data


def trixie_root():
    root = subprocess.run([os.path.join(VMDIR, 'lib.sh'), 'trixie_root'],
                          capture_output=True, text=True).stdout.strip()
    if not os.path.exists(os.path.join(root, '.done')):
        sys.exit('vmtest: no QEMU 10 root at %s: run make deps' % root)
    return root


def add_guest_qemu(root):
    """Put Debian 13's QEMU 10 into the initramfs as /bin/qemu10.

    The binary runs under its own dynamic loader with the libraries it was
    linked against (resolved in the Debian 13 root), so the guest needs
    nothing else from that release.  Only the firmware a q35 machine loads
    without a disk or network is copied, and the option ROM that boots a
    multiboot image given with -kernel.
    """
    troot = trixie_root()
    dest = os.path.join(root, 'qemu')
    os.makedirs(os.path.join(dest, 'lib'))
    os.makedirs(os.path.join(dest, 'share'))
    loader = os.path.join(troot, 'lib64/ld-linux-x86-64.so.2')
    libpath = ':'.join(os.path.join(troot, d) for d in
                       ('usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'))
    binary = os.path.join(troot, 'usr/bin/qemu-system-x86_64')
    out = subprocess.run([loader, '--library-path', libpath, '--list',
                          binary], capture_output=True, text=True,
                         check=True).stdout
    for line in out.split('\n'):
        m = re.search(r'=> (/\S+)', line)
        if m:
            shutil.copy(m.group(1), os.path.join(dest, 'lib'))
    shutil.copy(loader, os.path.join(dest, 'ld.so'))
    shutil.copy(binary, os.path.join(dest, 'qemu-system-x86_64'))
    for f in ('usr/share/seabios/bios-256k.bin',
              'usr/share/qemu/kvmvapic.bin',
              'usr/share/qemu/linuxboot_dma.bin',
              'usr/share/qemu/multiboot_dma.bin'):
        shutil.copy(os.path.join(troot, f), os.path.join(dest, 'share'))
    wrapper = os.path.join(root, 'bin/qemu10')
    with open(wrapper, 'w') as f:
        f.write('#!/bin/sh\n'
                'exec /qemu/ld.so --library-path /qemu/lib '
                '/qemu/qemu-system-x86_64 -L /qemu/share "$@"\n')
    os.chmod(wrapper, 0o755)


def s3_waker(path, log, stop):
    """Wake the guest from S3 each time it suspends.

    Talks QMP on @path: every SUSPEND event of the guest is answered, after
    a second, with system_wakeup, as pressing a wake button would.  Writes
    what it did to @log.
    """
    sock = None
    for _ in range(200):
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            break
        except OSError:
            sock.close()
            sock = None
            if stop.wait(0.1):
                return
    if sock is None:
        log.write('s3: no QMP socket at %s\n' % path)
        return
    f = sock.makefile('rw')
    f.write('{"execute": "qmp_capabilities"}\n')
    f.flush()
    for line in f:
        if stop.is_set():
            break
        if '"event": "SUSPEND"' in line:
            log.write('s3: guest suspended, waking it\n')
            log.flush()
            time.sleep(1)
            f.write('{"execute": "system_wakeup"}\n')
            f.flush()
        elif '"event": "WAKEUP"' in line:
            log.write('s3: guest woke up\n')
            log.flush()
    sock.close()


def build_initramfs(args, workdir):
    root = os.path.join(workdir, 'root')
    shutil.rmtree(root, ignore_errors=True)
    for d in ('bin', 'dev', 'proc', 'sys', 'tmp', 'modules', 'kunit',
              'tests'):
        os.makedirs(os.path.join(root, d))
    shutil.copy('/bin/busybox', os.path.join(root, 'bin/busybox'))
    os.symlink('busybox', os.path.join(root, 'bin/sh'))
    shutil.copy(os.path.join(VMDIR, 'init'), os.path.join(root, 'init'))
    for ko in args.module or []:
        shutil.copy(ko, os.path.join(root, 'modules'))
    for ko in args.kunit or []:
        shutil.copy(ko, os.path.join(root, 'kunit'))
    for prog in args.test or []:
        shutil.copy(prog, os.path.join(root, 'tests'))
    if args.guest_qemu:
        add_guest_qemu(root)
    with open(os.path.join(root, 'plan'), 'w') as f:
        f.write(''.join(p + '\n' for p in args.plan))
    image = os.path.join(workdir, 'initramfs.cpio.gz')
    files = subprocess.run('find . -mindepth 1 | LC_ALL=C sort', shell=True,
                           cwd=root, capture_output=True, check=True).stdout
    with open(image, 'wb') as out:
        cpio = subprocess.Popen(['cpio', '--quiet', '-o', '-H', 'newc',
                                 '-R', '0:0'], cwd=root,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        gz = subprocess.Popen(['gzip', '-1'], stdin=cpio.stdout, stdout=out)
        cpio.stdin.write(files)
        cpio.stdin.close()
        cpio.stdout.close()
        if gz.wait() or cpio.wait():
            sys.exit('vmtest: could not build the initramfs')
    return image


MONITOR_RE = re.compile(r'^vmtest: monitor (.+)$')
# What a guest may ask for: HMP also has commands that run programs on the
# host (migrate "exec:...") or read and write its files.
MONITOR_ALLOWED = ('device_add', 'device_del', 'system_wakeup')


def hmp(sock_path, command, log):
    """Runs one HMP command through QMP's human-monitor-command; logs it."""
    answer = ''
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(sock_path)
            f = s.makefile('rw')
            f.readline()    # the greeting
            for req in ({'execute': 'qmp_capabilities'},
                        {'execute': 'human-monitor-command',
                         'arguments': {'command-line': command}}):
                f.write(json.dumps(req) + '\n')
                f.flush()
                while True:
                    reply = json.loads(f.readline())
                    if 'return' in reply or 'error' in reply:
                        break
            answer = json.dumps(reply)
    except (OSError, ValueError) as e:
        answer = 'vmtest: monitor: %s' % e
    log.write('>>> %s\n%s\n' % (command, answer))
    log.flush()


# Well below the 10 s ACPICA's S5 entry stalls before it gives up and the
# guest's poweroff returns (then init exits: a panic on the console).
DONE_GRACE = 5


def wait_guest(proc, timeout, results, monitor, monitor_log, refused,
               quit_when_done=False):
    """Waits for QEMU to exit (its status; None on timeout).

    With a monitor, the results port is followed meanwhile, and each line
    "vmtest: monitor <command>" the guest writes there runs <command> on
    the monitor: the guest asks for what only the host can do (device_del,
    system_wakeup...) in the middle of a test, and waits for its effect.
    Commands not in MONITOR_ALLOWED are not run but added to @refused.

    With @quit_when_done, a QEMU still running DONE_GRACE seconds after
    the guest said "vmtest: done" is told to quit (and the monitor log
    says so): after a resume from S3 the guest's ACPI power-off does not
    end QEMU 7.2.
    """
    if not monitor:
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
    deadline = time.time() + timeout
    done = 0
    qrc = None
    finished = None
    with open(monitor_log, 'w') as log:
        while True:
            try:
                qrc = proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                if time.time() > deadline:
                    return None
            try:
                with open(results, 'rb') as f:
                    f.seek(done)
                    data = f.read()
            except FileNotFoundError:
                data = b''
            # Whole lines only: the rest is read again next time.
            end = data.rfind(b'\n') + 1
            done += end
            for line in data[:end].decode(errors='replace').split('\n'):
                line = line.replace('\r', '').strip()
                if line == 'vmtest: done' and finished is None:
                    finished = time.time()
                m = MONITOR_RE.match(line)
                if not m:
                    continue
                command = m.group(1).strip()
                if command.split()[0] not in MONITOR_ALLOWED:
                    log.write('>>> %s\nrefused\n' % command)
                    refused.append(command)
                elif qrc is None:
                    hmp(monitor, command, log)
                else:
                    log.write('>>> %s\nnot run: QEMU has exited\n'
                              % command)
            if qrc is not None:
                return qrc
            if (quit_when_done and finished is not None and
                    time.time() > finished + DONE_GRACE):
                log.write('guest done %ds ago, QEMU still running: quit\n'
                          % DONE_GRACE)
                hmp(monitor, 'quit', log)
                finished = float('inf')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--name', required=True, help='leg name for reports')
    ap.add_argument('--kernel', required=True, help='bzImage to boot')
    ap.add_argument('--qemu', choices=['7.2', '10.0'], default='7.2')
    ap.add_argument('--iommu-opt', action='append', default=[],
                    help='extra intel-iommu property, e.g. x-flts=on')
    ap.add_argument('--device', action='append', default=[],
                    help='extra QEMU -device argument (after edu)')
    ap.add_argument('--module', action='append', help='module to include')
    ap.add_argument('--kunit', action='append', help='KUnit module')
    ap.add_argument('--test', action='append', help='test program')
    ap.add_argument('--plan', action='append', default=[],
                    help='guest step (see init)')
    ap.add_argument('--guest-qemu', action='store_true',
                    help='Debian 13 QEMU 10 in the guest, as /bin/qemu10')
    ap.add_argument('--append', default='', help='extra kernel arguments')
    ap.add_argument('--monitor', action='store_true',
                    help='QEMU monitor socket: the guest has an HMP command '
                    '(%s) run by writing "vmtest: monitor <command>" to '
                    'the results port' % ', '.join(MONITOR_ALLOWED))
    ap.add_argument('--s3', action='store_true',
                    help='offer S3 to the guest and wake it from the QEMU '
                    'monitor (QMP system_wakeup) whenever it suspends; the '
                    'guest sees vmtest.s3wake on its command line')
    ap.add_argument('--timeout', type=int, default=600)
    ap.add_argument('--logdir', required=True)
    ap.add_argument('--interactive', action='store_true',
                    help='console on this terminal, no judging')
    args = ap.parse_args()

    os.makedirs(args.logdir, exist_ok=True)
    image = build_initramfs(args, args.logdir)
    qemu, data = find_qemu(args.qemu)
    iommu = ','.join(['intel-iommu', 'intremap=off', 'x-scalable-mode=on',
                      'caching-mode=on'] + args.iommu_opt)
    console = os.path.join(args.logdir, 'console.log')
    results = os.path.join(args.logdir, 'results.log')
    # The host follows the results file while the guest runs: a previous
    # run's must not be read as this one's (its monitor commands, its end).
    for old in (console, results):
        if os.path.exists(old):
            os.unlink(old)
    # Two vCPUs, but one TCG thread: with multi-threaded TCG the stock
    # kernel's boot-time code patching (int3-based text_poke) races with the
    # other vCPU and now and then oopses in enqueue_timer before any of our
    # code is loaded.  Round-robin vCPUs keep SMP interleaving without it.
    cmdline = ('console=ttyS0 intel_iommu=off panic=-1 oops=panic '
               'panic_on_warn=0 loglevel=7 ' + args.append).strip()
    if args.s3:
        cmdline += ' vmtest.s3wake'
    cmd = qemu + data + [
        '-M', 'q35', '-accel', 'tcg,thread=single', '-smp', '2', '-m', '2G',
        '-nodefaults', '-display', 'none', '-no-reboot',
        '-kernel', args.kernel, '-initrd', image, '-append', cmdline,
        '-device', iommu,
        '-device', 'edu,dma_mask=0xffffffffffffffff',
    ]
    for d in args.device:
        cmd += ['-device', d]
    qmpdir = None
    if args.s3:
        # A short path: unix socket names are limited to 108 bytes.
        qmpdir = tempfile.mkdtemp(prefix='vmtest-')
        qmp = os.path.join(qmpdir, 'qmp')
        cmd += ['-global', 'ICH9-LPC.disable_s3=0',
                '-qmp', 'unix:%s,server=on,wait=off' % qmp]
    if args.interactive:
        i = cmd.index('-append') + 1
        cmd[i] += ' vmtest.results=ttyS0'
        cmd += ['-serial', 'mon:stdio']
        os.execvp(cmd[0], cmd)
    cmd += ['-serial', 'file:' + console, '-serial', 'file:' + results]
    monitor = None
    if args.monitor or args.s3:
        monitor = os.path.join(args.logdir, 'qmp.sock')
        if os.path.exists(monitor):
            os.unlink(monitor)
        cmd += ['-qmp', 'unix:%s,server=on,wait=off' % monitor]
    with open(os.path.join(args.logdir, 'qemu.cmd'), 'w') as f:
        f.write(' '.join(cmd) + '\n')

    start = time.time()
    timed_out = False
    refused = []
    with open(os.path.join(args.logdir, 'qemu.log'), 'w') as qlog:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog,
                                stderr=subprocess.STDOUT)
        stop = threading.Event()
        waker = None
        if qmpdir:
            waker = threading.Thread(target=s3_waker, daemon=True,
                                     args=(qmp, qlog, stop))
            waker.start()
        qrc = wait_guest(proc, args.timeout, results, monitor,
                         os.path.join(args.logdir, 'monitor.log'), refused,
                         quit_when_done=args.s3)
        if qrc is None:
            proc.kill()
            proc.wait()
            timed_out = True
        stop.set()
        if waker:
            waker.join(timeout=5)
        if qmpdir:
            shutil.rmtree(qmpdir, ignore_errors=True)
    elapsed = time.time() - start

    def read(path):
        try:
            with open(path, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    tally, done = parse_results(read(results))
    if timed_out:
        tally.fail('guest timed out after %ds' % args.timeout)
    elif not done:
        tally.fail('guest stopped before finishing its plan (qemu exit %s)'
                   % qrc)
    for c in refused:
        tally.fail('monitor command not allowed: ' + c)
    for s in splats(read(console)):
        tally.fail('kernel splat: ' + s)

    for s in tally.skips:
        print('%s: SKIP %s' % (args.name, s))
    # The failures again in a file of their own, each with the comment
    # lines that came before it: check.sh repeats them at the end of its
    # output, where a CI report that keeps only the tail still has them.
    with open(os.path.join(args.logdir, 'failures'), 'w') as f:
        for what in tally.failures:
            print('%s: FAIL %s' % (args.name, what))
            f.write('%s: FAIL %s\n' % (args.name, what))
            for c in tally.details.get(what, []):
                f.write('%s:   %s\n' % (args.name, c))
    line = '%s: %d passed, %d failed, %d skipped (%.0fs, logs in %s)' % (
        args.name, tally.passed, tally.failed, tally.skipped, elapsed,
        args.logdir)
    print(line)
    with open(os.path.join(args.logdir, 'summary'), 'w') as f:
        f.write('%d %d %d\n' % (tally.passed, tally.failed, tally.skipped))
    return 1 if tally.failed else 0


if __name__ == '__main__':
    sys.exit(main())
