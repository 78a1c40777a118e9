// Linux only: which listening sockets on a port belong to another process. The workers' sockets
// carry SO_REUSEPORT, which lets any socket of the same user that also sets it join their port; the
// main thread's bind without it (server/workers.ts) keeps that from happening before they bind, and
// this check, run once they listen, catches a program that slipped in between.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** One LISTEN entry of /proc/net/tcp or tcp6. */
export interface Listener {
  /** The local address as /proc writes it (hex, kernel byte order). */
  readonly address: string;
  readonly port: number;
  readonly inode: number;
}

const LISTEN = "0A";

/** The LISTEN sockets in /proc/net/tcp{,6}-formatted text. */
export function parseListeners(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== LISTEN) continue;
    const [address, port] = fields[1]!.split(":") as [string, string];
    listeners.push({ address, port: parseInt(port, 16), inode: Number(fields[9]) });
  }
  return listeners;
}

/** Socket inodes this process holds open (every thread's: they share the descriptor table). */
export function ownSocketInodes(fdDir = "/proc/self/fd"): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync(fdDir)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${fdDir}/${fd}`));
      if (match) inodes.add(Number(match[1]));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** An all-zero address (0.0.0.0 or ::) accepts on every address, so it overlaps any other. */
const isWildcard = (address: string): boolean => /^0+$/.test(address);

/**
 * Listening sockets on `port` that are not this process's and overlap one of its own (same address,
 * or either a wildcard): a client connecting to our address could land on them. Empty when the
 * port is ours alone, or when /proc cannot be read (not Linux).
 */
export function foreignListeners(port: number, read: (path: string) => string = (p) => readFileSync(p, "utf8"), own: () => Set<number> = ownSocketInodes): Listener[] {
  let listeners: Listener[];
  try {
    listeners = [...parseListeners(read("/proc/net/tcp")), ...parseListeners(safeRead(read, "/proc/net/tcp6"))].filter((l) => l.port === port);
  } catch {
    return [];
  }
  const inodes = own();
  const ours = listeners.filter((l) => inodes.has(l.inode));
  return listeners.filter((l) => !inodes.has(l.inode) && ours.some((o) => o.address === l.address || isWildcard(o.address) || isWildcard(l.address)));
}

function safeRead(read: (path: string) => string, path: string): string {
  try {
    return read(path);
  } catch {
    return ""; // no IPv6
  }
}
