import { isLoopbackIp } from "./client-ip";
import { describeLocation } from "./user-agent";

/** What we record about the device behind a request: shown on the account page, never used to decide. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  city: string | null;
}

/** Shown instead of a place for a local run's requests. */
export const LOCAL_PLACE = "This computer (local)";

export function readClientInfo(request: Request): ClientInfo {
  const cf = (request as Request & { cf?: { country?: unknown; city?: unknown } }).cf;
  // Set by Cloudflare's edge; a client cannot forge it in production. Locally wrangler sends a loopback
  // address and invents a request.cf (some city in the US): that place is not recorded.
  const ip = request.headers.get("CF-Connecting-IP");
  if (ip && isLoopbackIp(ip)) return { ip, userAgent: cappedUserAgent(request), country: null, city: null };
  return {
    ip,
    userAgent: cappedUserAgent(request),
    country: typeof cf?.country === "string" ? cf.country : null,
    city: typeof cf?.city === "string" ? cf.city.slice(0, 100) : null,
  };
}

/** Capped: it is stored with sessions and log entries, and a client chooses its length. */
function cappedUserAgent(request: Request): string | null {
  return request.headers.get("User-Agent")?.slice(0, 256) ?? null;
}

/** Where a request came from, in words: the place, or "This computer (local)" for a local run. */
export function describePlace(client: Pick<ClientInfo, "ip" | "country" | "city">): string | null {
  if (client.ip && isLoopbackIp(client.ip)) return LOCAL_PLACE;
  return describeLocation(client.country, client.city);
}
