// What a process has consumed so far, from /proc: CPU time (utime + stime of all its threads)
// and write system calls (write/writev/sendmsg on sockets and files). Read before and after a
// load run and divided by the requests served, these give CPU per request and writes per
// response: figures that hold on a busy machine, where req/s only says what share of the CPU
// the process happened to get.
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: utime/stime are in these ticks (`getconf CLK_TCK`; 100 on every arch
 *  Node supports). */
const ticksPerSecond = 100;

export interface ProcUsage {
  /** utime + stime, milliseconds (10 ms resolution). */
  readonly cpuMs: number;
  /** stime alone: the part spent in the kernel (system calls, loopback TCP), milliseconds. */
  readonly systemMs: number;
  /** syscw of /proc/PID/io: write-type system calls made. */
  readonly writeCalls: number;
}

export const procUsage = (pid: number): ProcUsage => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of proc(5), i.e. 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const writeCalls = Number(/syscw:\s+(\d+)/.exec(io)?.[1] ?? Number.NaN);
  const ms = (count: number) => (count * 1000) / ticksPerSecond;
  return { cpuMs: ms(ticks), systemMs: ms(Number(fields[12])), writeCalls };
};

/** The usage between two readings. */
export const usageSince = (before: ProcUsage, after: ProcUsage): ProcUsage => ({
  cpuMs: after.cpuMs - before.cpuMs,
  systemMs: after.systemMs - before.systemMs,
  writeCalls: after.writeCalls - before.writeCalls,
});
