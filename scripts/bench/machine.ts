// What the benchmark reads from the machine: memory and CPU time of a process tree, busy and steal
// time of CPUs (all from /proc, Linux), and taskset CPU lists. Outside Linux the figures are NaN.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * Memory of a process and its descendants (its workers), from /proc/<pid>/status, in MB. VmHWM: peak
 * resident set; VmRSS: now; RssAnon: the part of it that is the process's own memory (heap, buffers,
 * malloc), not pages of the executable or libraries mapped from disk (RssFile), which the kernel
 * shares between processes and can drop at will.
 *
 * @param pid The process.
 * @param field Which figure.
 * @returns MB summed over the tree; NaN if the process is gone.
 * @example
 * ```ts
 * memoryMb(child.pid, "VmHWM"); // 104.2
 * ```
 */
export function memoryMb(pid: number, field: "VmHWM" | "VmRSS" | "RssAnon"): number {
  let total = 0;
  for (const one of processTree(pid)) {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${one}/status`, "utf8"));
      total += match ? Number(match[1]) / 1024 : Number.NaN;
    } catch {
      if (one === pid) return Number.NaN;
    }
  }
  return total;
}

/** A process and all its descendants (from /proc/<pid>/task/<tid>/children). */
function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${found[i]}/task`)) {
        const children = readFileSync(`/proc/${found[i]}/task/${task}/children`, "utf8").trim();
        if (children !== "") found.push(...children.split(" ").map(Number));
      }
    } catch {
      // gone, or no such file on this kernel: the process alone
    }
  }
  return found;
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/**
 * CPU time (utime + stime) of a process and its workers.
 *
 * @param pid The process.
 * @returns Seconds; NaN if the process is gone.
 * @example
 * ```ts
 * const before = cpuSeconds(pid); // … load … ; cpuSeconds(pid) - before
 * ```
 */
export function cpuSeconds(pid: number): number {
  let total = 0;
  for (const one of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${one}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      if (one === pid) return Number.NaN;
    }
  }
  return total;
}

/** Jiffies of all CPUs from /proc/stat: [total, steal]. */
function cpuJiffies(): [number, number] {
  try {
    const fields = (/^cpu\s+(.*)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1] ?? "").trim().split(/\s+/).map(Number);
    return [fields.slice(0, 8).reduce((a, b) => a + b, 0), fields[7] ?? 0];
  } catch {
    return [0, 0];
  }
}

/**
 * Starts measuring the hypervisor's steal time.
 *
 * @returns A function giving the share of CPU time stolen since this call, in %.
 * @example
 * ```ts
 * const steal = stealMeter(); // … ; steal() // 1.3
 * ```
 */
export function stealMeter(): () => number {
  const [total0, steal0] = cpuJiffies();
  return () => {
    const [total, steal] = cpuJiffies();
    return total > total0 ? (100 * (steal - steal0)) / (total - total0) : Number.NaN;
  };
}

/**
 * CPU indices of a taskset list.
 *
 * @param list Such as "0", "0,1" or "2-3".
 * @returns The indices.
 * @example
 * ```ts
 * cpuIndices("0,2-3"); // [0, 2, 3]
 * ```
 */
export function cpuIndices(list: string): number[] {
  return list.split(",").flatMap((part) => {
    const [a, b] = part.split("-").map(Number) as [number, number | undefined];
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  });
}

/**
 * Busy and total jiffies summed over some CPUs (from /proc/stat's cpuN lines; idle and iowait are
 * not busy). Two readings make a busy share: (busy₂ − busy₁) / (total₂ − total₁).
 *
 * @param indices The CPUs.
 * @returns [busy, total]; [0, 0] outside Linux.
 * @example
 * ```ts
 * const [busy, total] = cpuBusyJiffies([1]);
 * ```
 */
export function cpuBusyJiffies(indices: readonly number[]): [number, number] {
  let busy = 0;
  let total = 0;
  try {
    for (const match of readFileSync("/proc/stat", "utf8").matchAll(/^cpu(\d+)\s+(.*)$/gm)) {
      if (!indices.includes(Number(match[1]))) continue;
      const fields = (match[2] as string).trim().split(/\s+/).map(Number);
      const all = fields.slice(0, 8).reduce((x, y) => x + y, 0);
      total += all;
      busy += all - (fields[3] ?? 0) - (fields[4] ?? 0);
    }
  } catch {
    // not Linux: no figure
  }
  return [busy, total];
}

/**
 * The busy share of some CPUs between two readings of {@link cpuBusyJiffies}.
 *
 * @param before The first reading.
 * @param after The second.
 * @returns Percent; NaN if no time passed (or not Linux).
 * @example
 * ```ts
 * busyPercent(before, cpuBusyJiffies([1])); // 87
 * ```
 */
export function busyPercent(before: readonly [number, number], after: readonly [number, number]): number {
  return after[1] > before[1] ? (100 * (after[0] - before[0])) / (after[1] - before[1]) : Number.NaN;
}
