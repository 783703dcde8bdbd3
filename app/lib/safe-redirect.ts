/**
 * Post-sign-in redirects (WEB-2): only same-origin relative paths. "/x" is fine; "//evil.com",
 * "/\evil.com", "https://…", "javascript:…" and anything with control characters fall back.
 */
export const DEFAULT_REDIRECT = "/dashboard";

export function safeRedirectPath(value: unknown, fallback = DEFAULT_REDIRECT): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 512) return fallback;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  // Browsers strip tabs and newlines from URLs, so "/\t/evil.com" would become "//evil.com".
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  // Resolving against a dummy origin catches anything that still escapes it (e.g. encoded tricks).
  const resolved = new URL(value, "https://latchkey.invalid");
  if (resolved.origin !== "https://latchkey.invalid") return fallback;
  // Never bounce back into the auth flow itself.
  if (resolved.pathname === "/logout" || resolved.pathname.startsWith("/auth/")) return fallback;
  return resolved.pathname + resolved.search + resolved.hash;
}
