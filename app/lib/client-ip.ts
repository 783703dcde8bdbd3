/**
 * Which "client" a per-IP limit counts against. IPv4 addresses are cheap to rotate within a /32 only,
 * but anyone with IPv6 gets at least a /64 (2^64 addresses), so IPv6 clients are keyed by their /64
 * prefix: otherwise every request could come from a fresh address and every per-IP limit would be moot.
 */
export function ipLimitSubject(ip: string | null): string {
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip.trim();
  const prefix = ipv6Prefix64(ip);
  return prefix ? `${prefix}::/64` : ip.trim().toLowerCase();
}

/** The first four 16-bit groups of an IPv6 address, normalised ("2001:db8::1" → "2001:db8:0:0"), or null. */
export function ipv6Prefix64(address: string): string | null {
  // Zone ids ("%eth0") and an embedded IPv4 tail only affect the last 64 bits.
  const ip = address.trim().toLowerCase().split("%")[0]!;
  const halves = ip.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An IPv4 tail ("::ffff:1.2.3.4") stands for two groups.
  const tailLength = tail.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const full = halves.length === 2 ? [...head, ...Array(Math.max(0, 8 - head.length - tailLength)).fill("0"), ...tail] : head;
  const first = full.slice(0, 4);
  if (first.length < 4 || first.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return first.map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}

/** 127.0.0.0/8 or ::1 (also IPv4-mapped): an address only a local run ever sees. */
export function isLoopbackIp(ip: string): boolean {
  const address = ip.trim().toLowerCase().replace(/^::ffff:/, "");
  return address === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}
