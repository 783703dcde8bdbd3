/** What we record about the device behind a request: shown on the account page, never used to decide. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  city: string | null;
}

export function readClientInfo(request: Request): ClientInfo {
  const cf = (request as Request & { cf?: { country?: unknown; city?: unknown } }).cf;
  return {
    // Set by Cloudflare's edge; a client cannot forge it in production. Absent locally.
    ip: request.headers.get("CF-Connecting-IP"),
    // Capped: it is stored with sessions and log entries, and a client chooses its length.
    userAgent: request.headers.get("User-Agent")?.slice(0, 256) ?? null,
    country: typeof cf?.country === "string" ? cf.country : null,
    city: typeof cf?.city === "string" ? cf.city.slice(0, 100) : null,
  };
}
