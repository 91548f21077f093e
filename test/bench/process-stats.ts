// What the kernel says about a process (Linux /proc): CPU time spent and resident memory. The
// benches read the operator's and the control plane's processes this way, from outside, so that
// the figures include everything the process does (GC, loader threads, native buffers).
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const ticksPerSecond = 100;

/** CPU seconds (user + system) the process has used so far, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces), from field 3 (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return (utime + stime) / ticksPerSecond;
}

/** Resident set size and its peak (VmRSS, VmHWM) in bytes, or undefined when the process is gone. */
export function residentBytes(pid: number): { rss: number; peak: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

/** CPU used by named processes between `start()` and `stop()`, as a share of one core. */
export interface CpuWindow {
  /** Seconds of wall time the window lasted. */
  readonly seconds: number;
  /** Per process name: CPU seconds / wall seconds (1 = one core busy); gone processes omitted. */
  readonly cores: Readonly<Record<string, number>>;
  /** The whole machine's busy share of all its cores (other users of the machine included). */
  readonly machineBusy: number;
}

/**
 * Starts a CPU measurement over the given processes (name → pid, read again at the end so a
 * process restarted meanwhile is not compared with its predecessor).
 *
 * @example const window = cpuWindow(() => ({ operator: pid })); ...; const { cores } = window.stop();
 */
export function cpuWindow(pids: () => Readonly<Record<string, number | undefined>>): {
  stop(): CpuWindow;
} {
  const startedAt = performance.now();
  const machineStart = machineCpuSeconds();
  const start = new Map(
    Object.entries(pids()).map(([name, pid]) => [
      name,
      { pid, cpu: pid === undefined ? undefined : cpuSeconds(pid) },
    ]),
  );
  return {
    stop(): CpuWindow {
      const seconds = (performance.now() - startedAt) / 1000;
      const machineEnd = machineCpuSeconds();
      const cores: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids())) {
        const before = start.get(name);
        if (pid === undefined || before?.pid !== pid || before.cpu === undefined) continue;
        const after = cpuSeconds(pid);
        if (after !== undefined) cores[name] = (after - before.cpu) / seconds;
      }
      const machineBusy =
        (machineEnd.busy - machineStart.busy) / (machineEnd.total - machineStart.total || 1);
      return { seconds, cores, machineBusy };
    },
  };
}
