/**
 * Post-sign-in redirects (WEB-2): only same-origin relative paths. "/x" is fine; "//evil.com",
 * "/\evil.com", "https://…", "javascript:…" and anything with control characters fall back.
 *
 * The value we return is what a browser will follow, so that value is what gets validated: the URL
 * parser normalises dot segments ("/.//evil" → "//evil"), so checking only the input let a
 * protocol-relative URL through. Every redirect target in the app goes through this one function.
 */
export const DEFAULT_REDIRECT = "/dashboard";

const PROBE_ORIGIN = "https://latchkey.invalid";

export function safeRedirectPath(value: unknown, fallback = DEFAULT_REDIRECT): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 512) return fallback;
  if (!isPlainPath(value)) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(value, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  const result = resolved.pathname + resolved.search + resolved.hash;
  // Validate the output, not just the input: whatever normalisation did must still leave a plain path
  // that resolves to this origin and to itself.
  if (!isPlainPath(result)) return fallback;
  const again = new URL(result, PROBE_ORIGIN);
  if (again.origin !== PROBE_ORIGIN || again.pathname + again.search + again.hash !== result) return fallback;
  // Never bounce back into the auth flow itself (routes match case-insensitively and decoded).
  const path = decodedLowerCase(resolved.pathname);
  if (path === null || path === "/logout" || path.startsWith("/auth/")) return fallback;
  return result;
}

/** "/x…" but not "//x" or "/\x"; no backslashes or control characters anywhere (browsers strip tabs). */
function isPlainPath(value: string): boolean {
  if (!value.startsWith("/") || value.startsWith("//")) return false;
  return !/[\u0000-\u001f\u007f\\]/.test(value);
}

function decodedLowerCase(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname).toLowerCase();
  } catch {
    return null;
  }
}
