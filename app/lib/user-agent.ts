/**
 * Turns what we record about a client (user agent, country, city) into words people recognise:
 * "Firefox on Linux", "Berlin, Germany". Parsing is bowser (MIT); the result is only ever shown, never
 * used to decide anything.
 */
import Bowser from "bowser";

export function describeBrowser(userAgent: string | null | undefined): string {
  if (!userAgent) return "An unknown browser";
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name || null;
  const os = parsed.os.name || null;
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  if (os) return `A browser on ${os}`;
  return "An unknown browser";
}

let regionNames: Intl.DisplayNames | null = null;

export function countryName(code: string | null | undefined): string | null {
  if (!code || !/^[A-Z]{2}$/.test(code)) return null;
  // Cloudflare uses "XX" for unknown and "T1" for Tor; neither is a place.
  if (code === "XX") return null;
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/** "Berlin, Germany", "Germany", or null when we know nothing. */
export function describeLocation(country: string | null | undefined, city?: string | null): string | null {
  const name = countryName(country);
  if (city && name) return `${city}, ${name}`;
  return name ?? (city || null);
}
