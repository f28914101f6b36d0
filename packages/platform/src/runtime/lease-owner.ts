import { hostname } from 'node:os';

/** This process's lease owner id: `host/pid/nonce`. */
export function leaseOwnerId(): string {
  return `${hostname()}/${process.pid}/${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * True when a lease holder is a process on this host that no longer exists, so its lease can be taken
 * without waiting for it to expire. A holder with this process's pid but another nonce than `self` was
 * an earlier process that had the same pid (a container's PID 1 restarted): dead too.
 */
export function holderIsDead(holder: string, self: string): boolean {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return holder !== self;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
